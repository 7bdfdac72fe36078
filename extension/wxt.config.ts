import { defaultClientConditions } from 'vite';
import { defineConfig } from 'wxt';

// Every permission below is justified in the README ("Permissions"); keep that list in step.
export default defineConfig({
  modules: ['@wxt-dev/module-react'],
  imports: false,
  // Use shared's TypeScript source, like the rest of the workspace.
  vite: () => ({ resolve: { conditions: ['source', ...defaultClientConditions] } }),
  manifest: {
    name: 'x402-casper wallet',
    description: 'Pay for web content and APIs with Casper tokens (x402), with budgets you choose.',
    permissions: ['storage', 'alarms', 'declarativeNetRequestWithHostAccess', 'webRequest'],
    host_permissions: [
      'http://127.0.0.1/*',
      'http://localhost/*',
      'https://node.mainnet.casper.network/*',
      'https://node.testnet.casper.network/*',
    ],
    optional_host_permissions: ['https://*/*', 'http://*/*'],
    action: { default_title: 'x402-casper wallet' },
  },
});
