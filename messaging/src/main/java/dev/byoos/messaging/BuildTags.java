package dev.byoos.messaging;

import io.micrometer.core.instrument.Tags;

import dev.byoos.contract.BuildCoordinates;

/**
 * The tags every stage puts on its build metrics, so that one dashboard query can follow a team's
 * or a target's builds through all four services.
 */
public final class BuildTags {

    public static final String TEAM = "team";
    public static final String CLOUD = "cloud";
    public static final String FORMAT = "format";

    private BuildTags() {
    }

    public static Tags of(String team, String cloud, String format) {
        return Tags.of(TEAM, team, CLOUD, cloud, FORMAT, format);
    }

    public static Tags of(BuildCoordinates build) {
        return of(build.team(), build.target().cloud(), build.target().format());
    }
}
