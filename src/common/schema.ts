// A space's schema: what `add-space` describes, what the coordinator stores and what every client
// and daemon receives in the configuration. Plain data, so that it travels as msgpack unchanged.

import { AttrType } from './datatypes';

export interface AttributeSpec {
  readonly name: string;
  readonly type: AttrType;
}

export interface SubspaceSpec {
  /** Names of the attributes this subspace hashes on, in the order they were written. */
  readonly attributes: readonly string[];
  /** Number of regions the subspace is cut into (0.4: 2^P from `auto P R`; 1.0: `create N partitions`). */
  readonly partitions: number;
  /** Replicas of each region (0.4: R from `auto P R`; 1.0: F + 1 from `tolerate F failures`). */
  readonly replicas: number;
}

export interface SpaceSpec {
  readonly name: string;
  /** The key attribute. It is not repeated in `attributes`. */
  readonly key: AttributeSpec;
  /** Every other attribute, in declaration order. */
  readonly attributes: readonly AttributeSpec[];
  /** The key subspace: one dimension, the key. */
  readonly keySubspace: { readonly partitions: number; readonly replicas: number };
  /** Secondary subspaces, in declaration order. */
  readonly subspaces: readonly SubspaceSpec[];
}

/**
 * Every subspace of a space in configuration order: the key subspace (index 0, the key alone),
 * then the secondary subspaces as declared.
 */
export function subspacesOf(spec: SpaceSpec): SubspaceSpec[] {
  return [{ attributes: [spec.key.name], partitions: spec.keySubspace.partitions, replicas: spec.keySubspace.replicas }, ...spec.subspaces];
}

/** Finds an attribute (the key included) by name: its index (-1 for the key) and spec. */
export function attributeByName(spec: SpaceSpec, name: string): { index: number; attr: AttributeSpec } | undefined {
  if (name === spec.key.name) return { index: -1, attr: spec.key };
  const index = spec.attributes.findIndex((a) => a.name === name);
  return index < 0 ? undefined : { index, attr: spec.attributes[index] };
}

/** Limits on what a space description may ask for. */
export const SCHEMA_LIMITS = {
  nameBytesMax: 128,
  attributesMax: 64,
  subspacesMax: 16,
  partitionsMax: 65536,
  /** 0.4's `auto P R`: P at most 16, so 2^16 regions. */
  partitionBitsMax: 16,
  replicasMax: 16,
} as const;

/** 1.0 defaults when the description does not say. */
export const SCHEMA_DEFAULTS = {
  partitions: 256,
  tolerate: 2,
} as const;

export function findAttribute(space: SpaceSpec, name: string): AttributeSpec | undefined {
  if (space.key.name === name) return space.key;
  return space.attributes.find((a) => a.name === name);
}
