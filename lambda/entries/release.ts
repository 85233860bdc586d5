/** The function that serves every release and verdict custom resource of a stack (through the provider framework). */
export { handler } from '../handlers/release';
