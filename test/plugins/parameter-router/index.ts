/**
 * The parameter router, registered with each side's registry by its own code: importing this
 * module is all a test does to have the kind. No file outside test/ names it.
 */
import { registerTargetImplementation } from '../../../lambda/targets/index';
import { registerTargetContract } from '../../../lambda/targets/kinds';
import { registerSimTarget } from '../../../sim/targets';
import { PARAMETER_ROUTER, PARAMETER_ROUTER_KIND } from './contract';
import { PARAMETER_ROUTER_SIM } from './sim';

registerTargetContract(PARAMETER_ROUTER);
registerTargetImplementation(PARAMETER_ROUTER_KIND, async () => (await import('./target.js')).create);
registerSimTarget(PARAMETER_ROUTER_SIM);

export { PARAMETER_ROUTER, PARAMETER_ROUTER_KIND, ROUTER_NAMESPACE, type Routing } from './contract';
export { ParameterRouterCanary, type ParameterRouterCanaryProps } from './parameter-router-canary';
