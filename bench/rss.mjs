// Peak resident memory of processes, sampled from /proc every 50 ms.
import { readFileSync } from 'node:fs';

export function rssMegabytes(pid) {
	try {
		return Number(readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]) / 1024;
	} catch {
		return 0;
	}
}

/** Sample `pids` (name → pid) until `stop()`; returns peaks, growth over the first sample, and
 * every sample with its time. */
export function sampleRss(pids, intervalMs = 50) {
	const peaks = Object.fromEntries(Object.keys(pids).map((name) => [name, 0]));
	const samples = [];
	const take = () => {
		const sample = { t: performance.now() };
		for (const [name, pid] of Object.entries(pids)) {
			sample[name] = rssMegabytes(pid);
			peaks[name] = Math.max(peaks[name], sample[name]);
		}
		samples.push(sample);
	};
	take();
	const timer = setInterval(take, intervalMs);
	return {
		stop() {
			clearInterval(timer);
			take();
			const growth = Object.fromEntries(Object.keys(pids).map((name) => [name, peaks[name] - samples[0][name]]));
			return { peaks, growth, samples };
		},
	};
}
