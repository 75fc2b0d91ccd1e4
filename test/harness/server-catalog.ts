/**
 * The SMS server catalog's status, as the emulator keeps it: GetServers reports it (serverCatalogStatus), and lists
 * servers only while it is AVAILABLE; ImportServerCatalog starts an import that takes `importMs` of real time, as
 * the service's does ("This call returns immediately, but might take additional time to retrieve all the servers").
 */

/** The model's ServerCatalogStatus. */
export type ServerCatalogStatus = 'NOT_IMPORTED' | 'IMPORTING' | 'AVAILABLE' | 'DELETED' | 'EXPIRED';

/** A VM as the connector reports it; what the emulator's addServer may set. */
export interface VmFields {
  readonly vmName?: string;
  readonly vmManagerName?: string;
  readonly vmPath?: string;
  readonly vmManagerId?: string;
  /** The VM's id in its VM manager; by default vm-<the server id's hex digits>. */
  readonly vmId?: string;
}

export class CatalogState {
  /** How long an import takes, from ImportServerCatalog to AVAILABLE (ms). */
  importMs = 0;
  /** How many ImportServerCatalog calls started an import. */
  imports = 0;
  private status: ServerCatalogStatus = 'AVAILABLE';
  private importDoneAt: number | undefined;

  constructor(private readonly touched: () => void) {}

  /** The status now: an import whose time has passed is AVAILABLE. */
  current(): ServerCatalogStatus {
    if (this.status === 'IMPORTING' && this.importDoneAt !== undefined && Date.now() >= this.importDoneAt) {
      this.status = 'AVAILABLE';
      this.importDoneAt = undefined;
      this.touched();
    }
    return this.status;
  }

  /** Sets the status (IMPORTING: an import that ends `importMs` from now). */
  set(status: ServerCatalogStatus): void {
    this.status = status;
    this.importDoneAt = status === 'IMPORTING' ? Date.now() + this.importMs : undefined;
  }

  /** ImportServerCatalog: starts an import, unless one is running. */
  startImport(): void {
    if (this.current() !== 'IMPORTING') {
      this.imports += 1;
      this.set('IMPORTING');
    }
  }
}
