#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { ExampleStack } from './example-stack';

const app = new App();
new ExampleStack(app, 'ModelCanaryExample', { modelVersion: app.node.tryGetContext('modelVersion') });
app.synth();
