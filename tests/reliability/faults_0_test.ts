// One shard of the fault suite (tests/reliability/_faults.ts), so that shards run in parallel.
import { registerFaultTests } from "./_faults.ts";

registerFaultTests(0);
