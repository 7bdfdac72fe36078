import { Approval } from '../../ui/Approval.js';
import { mount } from '../../ui/mount.js';

const id = new URLSearchParams(location.search).get('request') ?? '';
mount(<Approval id={id} />);
