import type { Scenario } from "./common.js";
import { publishScenario } from "./s1-publish.js";
import { requestScenario } from "./s2-request.js";
import { httpScenario } from "./s3-http.js";
import { jetstreamScenario } from "./s4-jetstream.js";
import { scalingScenario } from "./s5-scaling.js";
import { slowJobsScenario } from "./s6-slow-jobs.js";
import { memoryScenario } from "./s7-memory.js";

export const SCENARIOS: readonly Scenario[] = [publishScenario, requestScenario, httpScenario, jetstreamScenario, scalingScenario, slowJobsScenario, memoryScenario];
