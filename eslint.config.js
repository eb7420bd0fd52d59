import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'test/golden/fixtures/**', 'packages/cli/bin/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['fs', 'path', 'crypto', 'net', 'zlib', 'os', 'child_process'], message: 'use node: prefix' }] },
      ],
    },
  },
);
