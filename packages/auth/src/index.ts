export { apiKeyAuthenticator, apiKeyLine } from './apiKeyAuthenticator.ts';
export { type ApiKeyEntry, type ApiKeysConfig, apiKeyEntry, apiKeysConfig } from './apiKeysConfig.ts';
