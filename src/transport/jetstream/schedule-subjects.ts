import type { StreamOptions } from "../../bus/options.js";
import { subjectCovers } from "../../subject.js";

/** Where a stream's schedules wait: never a listener's subject, and distinct per stream (stream subjects must not overlap). */
export const SCHEDULE_SUBJECT_PREFIX = "_EB_SCHEDULE";

export function scheduleSubjects(streamName: string): string {
  return `${SCHEDULE_SUBJECT_PREFIX}.${streamName}.>`;
}

/**
 * A stream as provisioning wants it: with `allowSchedules`, its subjects include the ones its
 * schedules wait on (unless a subject of its own already covers them, e.g. ">").
 */
export function withScheduleSubjects<S extends StreamOptions>(stream: S): S {
  const subject = scheduleSubjects(stream.name);
  if (!stream.allowSchedules || stream.subjects.some((pattern) => subjectCovers(pattern, subject))) return stream;
  return { ...stream, subjects: [...stream.subjects, subject] };
}
