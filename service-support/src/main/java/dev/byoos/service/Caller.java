package dev.byoos.service;

import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Set;

import jakarta.enterprise.context.RequestScoped;
import jakarta.json.JsonArray;
import jakarta.json.JsonString;
import jakarta.ws.rs.ForbiddenException;

import org.eclipse.microprofile.jwt.JsonWebToken;

/**
 * The authenticated caller of a request: who they are and which teams they act for. Roles come
 * from the token's {@code groups} claim; teams from its {@value #TEAMS_CLAIM} claim. Administrators
 * act for every team.
 */
@RequestScoped
public class Caller {

    public static final String TEAMS_CLAIM = "teams";
    public static final String VIEWER = "viewer";
    public static final String SUBMITTER = "submitter";
    public static final String ADMIN = "admin";

    private final JsonWebToken token;

    Caller(JsonWebToken token) {
        this.token = token;
    }

    public String subject() {
        return token.getName() == null ? token.getSubject() : token.getName();
    }

    public TeamScope scope() {
        return scopeOf(token);
    }

    /**
     * The teams a verified token acts for. Public for callers authenticated outside a request (a
     * bearer token carried by a Kafka event), so they get exactly the REST API's team rules.
     */
    public static TeamScope scopeOf(JsonWebToken token) {
        return new TeamScope(teams(token), token.getGroups().contains(ADMIN));
    }

    /** Refuses (403) an action for a team the caller does not belong to. */
    public void requireTeam(String team) {
        if (!scope().includes(team)) {
            throw new ForbiddenException(subject() + " is not a member of team '" + team + "'; the token's "
                    + TEAMS_CLAIM + " claim lists " + teams(token));
        }
    }

    private static Set<String> teams(JsonWebToken token) {
        Object claim = token.getClaim(TEAMS_CLAIM);
        Set<String> teams = new LinkedHashSet<>();
        if (claim instanceof JsonArray array) {
            array.forEach(value -> {
                if (value instanceof JsonString text) {
                    teams.add(text.getString());
                }
            });
        } else if (claim instanceof Collection<?> values) {
            values.forEach(value -> teams.add(String.valueOf(value)));
        } else if (claim instanceof String single) {
            teams.add(single);
        }
        return teams;
    }
}
