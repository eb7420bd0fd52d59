import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // run the workspace packages from their TypeScript sources, never from a stale dist/
    server: { deps: { inline: [/@tsrsync\//, /packages\/(delta|protocol|snapshot|cli)\//, 'tsrsync'] } },
  },
});
