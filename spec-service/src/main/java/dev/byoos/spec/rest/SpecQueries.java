package dev.byoos.spec.rest;

import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import java.util.function.Supplier;

import jakarta.ws.rs.BadRequestException;
import jakarta.ws.rs.ForbiddenException;

import io.quarkus.panache.common.Page;
import io.quarkus.panache.common.Parameters;
import io.smallrye.mutiny.Uni;

import dev.byoos.spec.BuildState;
import dev.byoos.service.TeamScope;

/** Query parameters shared by the list endpoints, checked into clear 400s. */
final class SpecQueries {

    static final int DEFAULT_PAGE_SIZE = 50;
    static final int MAX_PAGE_SIZE = 200;

    /** One page of a list, with the total to page through it. */
    public record PageOf<T>(List<T> items, int page, int size, long total) {
    }

    private SpecQueries() {
    }

    /** A page of entities (the rows, then the total: one session runs one query at a time), mapped for the API. */
    static <E, T> Uni<PageOf<T>> pageOf(Page page, Uni<List<E>> rows, Supplier<Uni<Long>> total, Function<E, T> view) {
        return rows.flatMap(entities -> total.get()
                .map(count -> new PageOf<>(entities.stream().map(view).toList(), page.index, page.size, count)));
    }

    static Page page(Integer page, Integer size) {
        int index = page == null ? 0 : page;
        int length = size == null ? DEFAULT_PAGE_SIZE : size;
        if (index < 0) {
            throw new BadRequestException("page must be 0 or more");
        }
        if (length < 1 || length > MAX_PAGE_SIZE) {
            throw new BadRequestException("size must be between 1 and " + MAX_PAGE_SIZE);
        }
        return Page.of(index, length);
    }

    /**
     * Restricts a query to the caller's teams: to {@code team} when asked for (403 if it is not one
     * of theirs), otherwise to all of the caller's teams.
     *
     * @return the condition on {@code column}, with its parameters added to {@code parameters}
     */
    static String teamCondition(TeamScope scope, String team, String column, Parameters parameters) {
        if (team != null && !team.isBlank()) {
            if (!scope.includes(team)) {
                throw new ForbiddenException("not a member of team '" + team + "'");
            }
            parameters.and("team", team);
            return column + " = :team";
        }
        if (scope.allTeams()) {
            return "1 = 1";
        }
        if (scope.teams().isEmpty()) {
            return "1 = 0";
        }
        parameters.and("teams", scope.teams());
        return column + " in :teams";
    }

    static BuildState state(String state) {
        if (state == null || state.isBlank()) {
            return null;
        }
        try {
            return BuildState.valueOf(state.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new BadRequestException("state must be one of " + List.of(BuildState.values()));
        }
    }

    static OffsetDateTime since(String since) {
        if (since == null || since.isBlank()) {
            return null;
        }
        try {
            return OffsetDateTime.parse(since.trim());
        } catch (DateTimeParseException e) {
            throw new BadRequestException("since must be an ISO-8601 date-time with offset, e.g. 2026-11-25T10:00:00Z");
        }
    }
}
