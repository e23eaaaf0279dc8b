package dev.byoos.spec.validation;

/**
 * A rule the JSON Schema cannot state: one that relates fields to each other or to this
 * installation (its allowed hosts, its builders, the Kubernetes support matrix). One
 * implementation per section of the spec.
 */
interface SpecRule {

    void check(SpecDocument spec, Violations violations);
}
