import { Token } from 'aws-cdk-lib';
import { validationError } from './private/errors';
import type { SmsServerConfig } from './private/server-selector';

/**
 * Options of a server named by its VM (`SmsServer`): what narrows a VM name that several servers of the catalog share.
 */
export interface VmNameOptions {
  /**
   * The name of the VM manager (the vCenter, SCVMM or Azure subscription the SMS connector reports) that holds the VM,
   * as the SMS API's GetServers reports it.
   *
   * @default - any VM manager: the name must then be unique in the whole catalog
   */
  readonly vmManagerName?: string;
}

/**
 * A VM's address in its VM manager, as the SMS API's GetServers reports it (`vmServer.vmServerAddress`) and filters
 * on: unique even where VM names are not (two folders of one vCenter with a VM of the same name).
 */
export interface VmServerAddress {
  /**
   * The ID of the VM manager (the vCenter, SCVMM or Azure subscription the SMS connector reports), such as
   * `vmm-0123456789abcdef0`, as GetServers reports it in each server's VM server address.
   */
  readonly vmManagerId: string;

  /** The ID of the VM in its VM manager, such as `vm-1234`, as GetServers reports it in each server's VM server address. */
  readonly vmId: string;
}

/**
 * The server a ReplicationJob replicates: an SMS server id, or a VM the provider finds in the SMS server catalog at
 * deploy time. Made by its static methods only; what each writes in the template is internal, so that a new kind of
 * selector is added without a breaking change.
 *
 * A VM selector (a server named by its VM) is resolved when the job is created, or when the selector changes: the
 * stack reads the catalog once for all its VM-named jobs (GetServers, every page; one `Custom::SmsServerCatalog` for
 * every 50 jobs, created before them), importing it first (ImportServerCatalog) when it is not available, and the job
 * fails, before anything is written to SMS, unless exactly one server matches. A read whose jobs all name their VM by
 * its address asks SMS for those VMs alone (GetServers filtered to the addresses) rather than for every page.
 *
 * @example
 * import * as cdk from 'aws-cdk-lib';
 * import { ReplicationJob, SmsServer } from 'cdk-sms-replication-job';
 *
 * const app = new cdk.App();
 * const stack = new cdk.Stack(app, 'Migration', { env: { region: 'us-west-2' } });
 *
 * new ReplicationJob(stack, 'DatabaseServer', { server: SmsServer.fromServerId('s-12345678') });
 * new ReplicationJob(stack, 'WebServer', { server: SmsServer.fromVmName('web-01', { vmManagerName: 'vc-east' }) });
 * new ReplicationJob(stack, 'AppServer', {
 *   server: SmsServer.fromVmServerAddress({ vmManagerId: 'vmm-0123456789abcdef0', vmId: 'vm-1234' }),
 * });
 */
export class SmsServer {
  /**
   * The server with this id in the SMS server catalog, such as `s-12345678`.
   *
   * The job's template then has the ServerId property, and the provider reads nothing of the catalog for it.
   *
   * @param serverId the id of the server, from the SMS server catalog (GetServers)
   */
  public static fromServerId(serverId: string): SmsServer {
    if (!Token.isUnresolved(serverId) && serverId.trim() === '') {
      throw validationError('SmsServer.fromServerId: serverId must be the ID of a server in the SMS server catalog (such as s-12345678), got an empty string');
    }
    return new SmsServer({ serverId });
  }

  /**
   * The server of the VM with this name, as the SMS connector reports it (GetServers), found by the provider at
   * deploy time.
   *
   * The provider needs `sms:GetServers` and `sms:ImportServerCatalog` for it, which the stack's provider policy then
   * gets. A catalog never imported (or expired, or deleted) is imported first, which takes time (README, "Naming the
   * server by its VM").
   *
   * @param vmName the VM's name in its VM manager, such as `web-01`
   * @param options what narrows the name when several VM managers have a VM of that name
   */
  public static fromVmName(vmName: string, options: VmNameOptions = {}): SmsServer {
    for (const [name, value] of [['vmName', vmName], ['vmManagerName', options.vmManagerName]] as const) {
      if (value !== undefined && !Token.isUnresolved(value) && value.trim() === '') {
        throw validationError(`SmsServer.fromVmName: ${name} must be a non-empty VM${name === 'vmName' ? '' : ' manager'} name as GetServers reports it, got an empty string`);
      }
    }
    return new SmsServer({ vmName, vmManagerName: options.vmManagerName });
  }

  /**
   * The server of the VM at this address in its VM manager (the VM manager's ID and the VM's ID), found by the provider
   * at deploy time with GetServers filtered by SMS to the address.
   *
   * The way to name a VM whose name is not unique in its VM manager (two folders with a VM of the same name): the
   * address is. The stack's read of the catalog resolves it with the stack's other VM selectors; when they are all
   * addresses, it asks SMS for those VMs alone (one request for up to 50 jobs) rather than for every page of the
   * catalog. The provider needs `sms:GetServers` and `sms:ImportServerCatalog` for it, as for a VM name. The
   * `servers` command of this package's command line prints the address of each VM whose name does not tell it apart.
   *
   * @param address the VM manager's ID and the VM's ID, as GetServers reports them
   */
  public static fromVmServerAddress(address: VmServerAddress): SmsServer {
    for (const [name, value] of [['vmManagerId', address.vmManagerId], ['vmId', address.vmId]] as const) {
      if (typeof value !== 'string' || (!Token.isUnresolved(value) && value.trim() === '')) {
        throw validationError(`SmsServer.fromVmServerAddress: ${name} must be the non-empty ID that GetServers reports in vmServer.vmServerAddress.${name}, got ${JSON.stringify(value)}`);
      }
    }
    return new SmsServer({ vmManagerId: address.vmManagerId, vmId: address.vmId });
  }

  private constructor(private readonly config: SmsServerConfig) {}

  /**
   * What the selector writes in the job's template: the ServerId property, the VmName and VmManagerName properties, or
   * the VmManagerId and VmId properties.
   * A new kind of selector is a new static method and a new field here, with no change to the public API.
   *
   * @internal
   */
  public _render(): SmsServerConfig {
    return this.config;
  }

  /**
   * How the selector is written in error messages: the code that makes it.
   *
   * @internal
   */
  public _describe(): string {
    const { serverId, vmName, vmManagerName, vmManagerId, vmId } = this.config;
    if (serverId !== undefined) {
      return `SmsServer.fromServerId('${serverId}')`;
    }
    if (vmId !== undefined) {
      return `SmsServer.fromVmServerAddress({ vmManagerId: '${vmManagerId}', vmId: '${vmId}' })`;
    }
    return `SmsServer.fromVmName('${vmName}'${vmManagerName === undefined ? '' : `, { vmManagerName: '${vmManagerName}' }`})`;
  }
}
