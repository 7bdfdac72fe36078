import { App } from '../../ui/App.js';
import { mount } from '../../ui/mount.js';

mount(<App />);
