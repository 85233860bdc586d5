import { SimWorld } from '../sim';
import { exampleStack, healthyScenario } from '../test/workflow/helpers';
(async () => {
  const world = SimWorld.fromStack(exampleStack(), { scenario: healthyScenario() });
  await world.deploy('1');
  const machine = [...world.sfn.machines.values()].find((m) => m.name.includes('SentimentCanary'))!;
  process.stdout.write(JSON.stringify(machine.definition.States.Check, null, 1));
  world.dispose();
})();
