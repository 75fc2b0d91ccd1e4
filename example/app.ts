/**
 * The example app that `npx cdk synth` runs (see cdk.json): the stack of example/stack.ts, two replication jobs.
 *
 * It is also the security review: cdk-nag's AwsSolutions and Serverless packs run on every synth and fail it on any
 * finding the provider has not acknowledged (README, "Security review"), and cdk.json turns on aws-cdk-lib's own
 * template validation (`@aws-cdk/core:validateAgainstDefaultRules`).
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { exampleStack } from './stack';

const app = new App();
Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
exampleStack(app);
app.synth();
