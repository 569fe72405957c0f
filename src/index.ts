export { useBackend, backendName, BACKEND_NAMES, BACKEND_ENV_VAR } from './backend';
export type { BackendName, BackendChoice } from './backend';
export { ValueError } from './errors';
