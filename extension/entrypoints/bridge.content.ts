import { defineContentScript } from 'wxt/utils/define-content-script';
import { startBridge } from '../lib/bridge.js';

export default defineContentScript({
  matches: ['http://*/*', 'https://*/*'],
  runAt: 'document_start',
  allFrames: true,
  main() {
    startBridge(window);
  },
});
