export { GitHubOidcStack, type GitHubOidcStackProps } from './github-oidc-stack.ts';
