import { defineContentScript } from 'wxt/utils/define-content-script';
import { installPageHook } from '../lib/page-hook.js';

export default defineContentScript({
  matches: ['http://*/*', 'https://*/*'],
  world: 'MAIN',
  runAt: 'document_start',
  allFrames: true,
  main() {
    installPageHook(window);
  },
});
