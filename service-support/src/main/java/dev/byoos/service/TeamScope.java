package dev.byoos.service;

import java.util.Set;

/**
 * The teams a caller may see and act for. Builds and specs of other teams are treated as absent
 * (404, not 403), so a caller cannot probe which ids exist elsewhere.
 *
 * @param teams    the caller's teams
 * @param allTeams true for administrators, who see every team
 */
public record TeamScope(Set<String> teams, boolean allTeams) {

    public TeamScope {
        teams = Set.copyOf(teams);
    }

    /** Every team: for callers inside the service (Kafka intake, webhooks checked by their own secret). */
    public static TeamScope everyTeam() {
        return new TeamScope(Set.of(), true);
    }

    public boolean includes(String team) {
        return allTeams || teams.contains(team);
    }
}
