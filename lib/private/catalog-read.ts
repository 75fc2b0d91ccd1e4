import { createHash } from 'node:crypto';
import { Aws, CfnResource, Fn, IResolvable, Lazy, Stack } from 'aws-cdk-lib';
import { Construct, IDependable } from 'constructs';
import { SERVICE_TIMEOUT_SECONDS } from './timing';

/** The resource type of the stack's reads of the server catalog (lambda/catalog-read.ts). */
export const CATALOG_READ_TYPE = 'Custom::SmsServerCatalog';

/**
 * A job's VM selector as its properties write it, and as the read lists it: `{ VmName, VmManagerName? }` or
 * `{ VmManagerId, VmId }`.
 */
export type CatalogSelector = { readonly VmName: string; readonly VmManagerName?: string } | { readonly VmManagerId: string; readonly VmId: string };

/**
 * How many VM-named jobs share one read of the catalog. Each job's server is an attribute of 35 to 43 bytes
 * (`"S1a2b3c4d":"s-12345678@1a2b3c4d",`, server ids of 8 to 17 hex digits), and CloudFormation takes an answer of at
 * most 4,096 bytes: 50 take at most 2,150, which leaves room for the rest of the answer and for the old names an
 * Update answers too (lambda/catalog-read.ts).
 */
export const JOBS_PER_CATALOG_READ = 50;

/**
 * The stack's reads of the SMS server catalog, for its jobs that name their server by its VM: one
 * `Custom::SmsServerCatalog` for every JOBS_PER_CATALOG_READ of them, in the order the jobs are added, children of
 * the provider (`CatalogRead0`, `CatalogRead1`, ...). Each reads the catalog once per deployment in which its jobs
 * change (only its jobs' VMs, when they all name them by address), and hands each job the server of its VM (the job's
 * CatalogServerId property); see lambda/catalog-read.ts.
 */
export class CatalogReads {
  private readonly reads: Array<{ resource: CfnResource; jobs: Array<{ job: () => CfnResource; selector: CatalogSelector }> }> = [];

  constructor(private readonly provider: Construct, private readonly serviceToken: string, private readonly dependency: IDependable) {}

  /**
   * The CatalogServerId property of a job (`job`: its CfnResource, once made): the attribute of a read that names its
   * server. The attribute's name is a hash of the job's logical id, as synthesized (an override included), so that a
   * job new to the template, or renamed, is new to its read too, which then runs in the deployment that creates it; a
   * job with a Condition is listed under that Condition, so that the read runs when the job comes into being.
   */
  serverOf(job: () => CfnResource, selector: CatalogSelector): IResolvable {
    let read = this.reads[this.reads.length - 1];
    if (!read || read.jobs.length >= JOBS_PER_CATALOG_READ) {
      const jobs: typeof read.jobs = [];
      const resource = new CfnResource(this.provider, `CatalogRead${this.reads.length}`, {
        type: CATALOG_READ_TYPE,
        properties: {
          ServiceToken: this.serviceToken,
          ServiceTimeout: String(SERVICE_TIMEOUT_SECONDS),
          Servers: Lazy.any({ produce: () => serversOf(resource, jobs) }),
        },
      });
      resource.node.addDependency(this.dependency);
      read = { resource, jobs };
      this.reads.push(read);
    }
    read.jobs.push({ job, selector });
    const readResource = read.resource;
    return Lazy.any({ produce: () => readResource.getAtt(attributeOf(job())) });
  }
}

/** The attribute that names a job's server: `S` and 8 hex digits of its logical id. */
function attributeOf(job: CfnResource): string {
  return `S${createHash('sha256').update(String(Stack.of(job).resolve(job.logicalId))).digest('hex').slice(0, 8)}`;
}

/** A read's Servers property: each job's selector under its attribute, under the job's Condition if it has one. */
function serversOf(read: CfnResource, jobs: Array<{ job: () => CfnResource; selector: CatalogSelector }>): Record<string, unknown> {
  const servers: Record<string, unknown> = {};
  for (const { job, selector } of jobs) {
    const resource = job();
    const name = attributeOf(resource);
    if (name in servers) {
      throw new Error(`${read.node.path}: two jobs hash to the attribute ${name}; give one of them another construct id`);
    }
    const condition = resource.cfnOptions.condition;
    servers[name] = condition ? Fn.conditionIf(condition.logicalId, selector, Aws.NO_VALUE) : selector;
  }
  return servers;
}
