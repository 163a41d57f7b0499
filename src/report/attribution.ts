import type { DomainLiveProject as LiveProject, DomainLiveState as LiveState, LiveKey } from '../core/domain.js';
import type { DesiredKey, DesiredProject, DesiredState } from '../policy/types.js';
import { UNMANAGED_TEAM } from './types.js';

export interface ProjectInfo {
  id: string;
  name: string;
  team: string;
  desired: DesiredProject | null;
  live: LiveProject | null;
}

export interface KeyInfo {
  id: string;
  /** The policy key's name when a policy names the key, else `live name (key_id)`. */
  label: string;
  project: ProjectInfo;
  desired: DesiredKey | null;
  live: LiveKey | null;
}

/** Names usage by the policies: project id → project and team, key id → policy key. */
export interface Directory {
  project(projectId: string | null): ProjectInfo;
  key(keyId: string | null, projectId: string | null): KeyInfo;
  /** Every live key with what names it. */
  liveKeys(): KeyInfo[];
  /** Every active live project. */
  liveProjects(): ProjectInfo[];
}

/**
 * A live key is named by a policy when its marks name a policy key, or (not yet
 * adopted) when it carries a policy key's name in that key's project. Projects are matched by name.
 */
export function buildDirectory(desired: DesiredState, live: LiveState): Directory {
  const desiredProjects = new Map(desired.projects.map((p) => [p.name, p]));
  const desiredKeys = new Map(desired.keys.map((k) => [k.name, k]));
  const projects = new Map<string, ProjectInfo>();
  const keys = new Map<string, KeyInfo>();
  for (const lp of live.projects) {
    const d = desiredProjects.get(lp.name) ?? null;
    const info: ProjectInfo = { id: lp.id, name: lp.name, team: d?.team ?? UNMANAGED_TEAM, desired: d, live: lp };
    projects.set(lp.id, info);
    for (const k of lp.keys) keys.set(k.id, keyInfo(k, info, desiredKeys));
  }
  const project = (projectId: string | null): ProjectInfo => {
    const id = projectId ?? '(none)';
    let info = projects.get(id);
    if (!info) {
      // Archived since (their usage stays in the buckets) or never reported by the project list.
      info = { id, name: `${id} (archived)`, team: UNMANAGED_TEAM, desired: null, live: null };
      projects.set(id, info);
    }
    return info;
  };
  return {
    project,
    key(keyId, projectId) {
      const id = keyId ?? '(none)';
      let info = keys.get(id);
      if (!info) {
        // Deleted since, e.g. a retired generation: its usage still counts for its project.
        info = { id, label: `${id} (deleted)`, project: project(projectId), desired: null, live: null };
        keys.set(id, info);
      }
      return info;
    },
    liveKeys: () => [...keys.values()].filter((k) => k.live !== null),
    liveProjects: () => [...projects.values()].filter((p) => p.live !== null),
  };
}

function keyInfo(k: LiveKey, project: ProjectInfo, desiredKeys: Map<string, DesiredKey>): KeyInfo {
  const owner = k.marks?.key;
  let d = owner !== undefined ? (desiredKeys.get(owner) ?? null) : null;
  if (!d && owner === undefined) {
    const byName = desiredKeys.get(k.name);
    if (byName && byName.project === project.name) d = byName;
  }
  return { id: k.id, label: d ? d.name : `${k.name} (${k.id})`, project, desired: d, live: k };
}
