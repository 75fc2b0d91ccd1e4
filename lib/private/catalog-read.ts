import { createHash } from 'node:crypto';
import { CfnResource, Lazy, Token } from 'aws-cdk-lib';
import { Construct, IDependable } from 'constructs';
import { SERVICE_TIMEOUT_SECONDS } from './timing';

/** The resource type of the stack's reads of the server catalog (lambda/catalog-read.ts). */
export const CATALOG_READ_TYPE = 'Custom::SmsServerCatalog';

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
 * change, and hands each job the server of its VM (the job's CatalogServerId property); see lambda/catalog-read.ts.
 */
export class CatalogReads {
  private readonly reads: Array<{ resource: CfnResource; servers: Record<string, { VmName: string; VmManagerName?: string }> }> = [];

  constructor(private readonly provider: Construct, private readonly serviceToken: string, private readonly dependency: IDependable) {}

  /** The CatalogServerId property of a job: the attribute of a read that names its server. */
  serverOf(job: Construct, vmName: string, vmManagerName: string | undefined): string {
    let read = this.reads[this.reads.length - 1];
    if (!read || Object.keys(read.servers).length >= JOBS_PER_CATALOG_READ) {
      const servers: Record<string, { VmName: string; VmManagerName?: string }> = {};
      const resource = new CfnResource(this.provider, `CatalogRead${this.reads.length}`, {
        type: CATALOG_READ_TYPE,
        properties: {
          ServiceToken: this.serviceToken,
          ServiceTimeout: String(SERVICE_TIMEOUT_SECONDS),
          Servers: Lazy.any({ produce: () => servers }),
        },
      });
      resource.node.addDependency(this.dependency);
      read = { resource, servers };
      this.reads.push(read);
    }
    // The attribute's name is fixed by the job's path: a job keeps its attribute whatever the jobs around it do.
    const name = `S${createHash('sha256').update(job.node.path).digest('hex').slice(0, 8)}`;
    read.servers[name] = { VmName: vmName, VmManagerName: vmManagerName };
    return Token.asString(read.resource.getAtt(name));
  }
}
