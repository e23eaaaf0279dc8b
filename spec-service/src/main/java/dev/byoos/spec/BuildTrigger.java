package dev.byoos.spec;

import java.util.Locale;

import dev.byoos.contract.BuildRequested;

/**
 * Why a build exists. Recorded on the build, shown by the API and the pipeline page, and carried on
 * build.requested ({@link BuildRequested#TRIGGERS} are the wire values). Informational: no stage
 * decides anything on it.
 */
public enum BuildTrigger {
    /** A spec submitted through POST /api/v1/specs. */
    MANUAL,
    /** A spec submitted by event on byoos.specs.submitted. */
    EVENT,
    /** A signed webhook asked for a rebuild. */
    WEBHOOK,
    /** A spec's schedule fired. */
    SCHEDULE,
    /** The spec's base changed. */
    BASE_UPDATED,
    /** A Kubernetes patch release for the spec's minor appeared. */
    KUBERNETES_PATCH,
    /** A failed or cancelled build was retried. */
    RETRY;

    /** The value stored, served and sent: lower case, words joined by a hyphen ({@code base-updated}). */
    public String wire() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
