// @ts-check
// The host's network for the core's outbound rules (`crate::outbound`): the addresses a host name
// resolves to, and this server's own addresses. The core decides; this only looks up.
import { lookup } from 'node:dns/promises';
import { networkInterfaces } from 'node:os';

/** @type {Pick<import('../../../target/pkg/table_migration.js').MigrationHost, 'lookupHost' | 'ownAddresses'>} */
export const network = {
	/** Every address `host` resolves to (`dns.lookup` with `all`, as Node's requests resolve). */
	async lookupHost(host) {
		const found = await lookup(host, { all: true, verbatim: true });
		return found.map((entry) => entry.address);
	},

	/** `[{ address, cidr, internal }]` of every network interface (Directus' `0.0.0.0` rule). */
	async ownAddresses() {
		return Object.values(networkInterfaces())
			.flat()
			.filter(/** @returns {entry is import('node:os').NetworkInterfaceInfo} */ (entry) => Boolean(entry))
			.map(({ address, cidr, internal }) => ({ address, cidr: cidr ?? null, internal: Boolean(internal) }));
	},
};
