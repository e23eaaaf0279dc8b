package dev.byoos.spec.rest;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.BadRequestException;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.sse.OutboundSseEvent;
import jakarta.ws.rs.sse.Sse;

import org.eclipse.microprofile.jwt.JsonWebToken;
import org.eclipse.microprofile.openapi.annotations.Operation;

import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.quarkus.panache.common.Parameters;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;

import dev.byoos.service.Caller;
import dev.byoos.service.TeamScope;
import dev.byoos.spec.config.SpecServiceConfig;
import dev.byoos.spec.repository.BuildEntity;
import dev.byoos.spec.service.BuildChangeFeed;
import dev.byoos.spec.service.BuildChangeFeed.PipelineUpdate;
import dev.byoos.spec.service.DependencyHealth;
import dev.byoos.spec.service.PipelineCharts;
import dev.byoos.spec.BuildState;

/**
 * The pipeline at a glance, for the pipeline page ({@code /pipeline}): what is in flight and where,
 * what failed lately and why, how many builds entered each state in a recent window; and a live
 * stream of build changes. Scoped to the caller's teams like the rest of the API.
 */
@Path("/api/v1/pipeline")
@RolesAllowed({ Caller.VIEWER, Caller.SUBMITTER, Caller.ADMIN })
public class PipelineResource {

    static final Duration DEFAULT_WINDOW = Duration.ofHours(1);
    static final Duration MAX_WINDOW = Duration.ofDays(7);
    static final int MAX_IN_FLIGHT = 200;
    static final int MAX_RECENT = 20;
    static final int MAX_STUCK = 100;
    /** State changes read for the charts: bounds what one request of a long window costs. */
    static final int MAX_TRANSITIONS = 20_000;
    /** Keeps idle streams open through proxies that close silent connections, and notices gone viewers. */
    static final Duration HEARTBEAT = Duration.ofSeconds(15);
    /** Changes a slow viewer may fall behind by before its stream ends (the page then reconnects and reloads). */
    static final int STREAM_BUFFER = 1000;

    private static final List<BuildState> IN_FLIGHT = Arrays.stream(BuildState.values())
            .filter(state -> !state.isTerminal()).toList();
    private static final List<BuildState> FINISHED_WITHOUT_FAILING = Arrays.stream(BuildState.values())
            .filter(state -> state.isTerminal() && state != BuildState.FAILED).toList();

    private final Caller caller;
    private final JsonWebToken token;
    private final BuildChangeFeed feed;
    private final DependencyHealth dependencies;
    private final SpecServiceConfig config;

    public PipelineResource(Caller caller, JsonWebToken token, BuildChangeFeed feed, DependencyHealth dependencies,
            SpecServiceConfig config) {
        this.caller = caller;
        this.token = token;
        this.feed = feed;
        this.dependencies = dependencies;
        this.config = config;
    }

    /**
     * @param state    a build state
     * @param current  builds in this state now: the backlog of the stage that takes them next
     *                 (absent for terminal states)
     * @param entered  builds that entered this state within the window: the throughput of the stage
     *                 that puts them there
     */
    public record StateCount(BuildState state, Long current, long entered) {
    }

    /**
     * @param window           the window of {@code entered} and the recent lists (ISO-8601 duration)
     * @param inFlight         unfinished builds, newest first (at most {@value #MAX_IN_FLIGHT})
     * @param recentFailures   builds that failed within the window, latest first (at most {@value #MAX_RECENT})
     * @param recentlyFinished builds published, reused or cancelled within the window, latest first
     *                         (at most {@value #MAX_RECENT})
     */
    public record PipelineSummary(String window, OffsetDateTime since, List<StateCount> states,
            List<BuildResource.Listed> inFlight, List<BuildResource.Listed> recentFailures,
            List<BuildResource.Listed> recentlyFinished) {
    }

    /**
     * A build not in a final state whose record (state or progress) has not changed for
     * {@code byoos.spec.pipeline.stuck-after}.
     *
     * @param stage         who should move it next (the stage that works on builds in its state)
     * @param lastChangedAt when its record last changed: the last event that moved or reported on it
     * @param ageSeconds    how long ago that was
     */
    public record StuckBuild(BuildResource.Listed build, String stage, OffsetDateTime lastChangedAt, long ageSeconds) {
    }

    /**
     * @param charts       throughput, backlog and stage latency over the window, of the caller's teams
     * @param partial      the window held more state changes than are read ({@value #MAX_TRANSITIONS}): the
     *                     charts cover the latest ones only
     * @param stuckAfter   the stuck threshold (ISO-8601 duration)
     * @param stuck        the caller's teams' stuck builds, longest silent first (at most {@value #MAX_STUCK})
     * @param dependencies Kafka, PostgreSQL, S3, the registry and the services, as last checked
     */
    public record PipelineHealth(String window, OffsetDateTime since, OffsetDateTime until, PipelineCharts.Charts charts,
            boolean partial, String stuckAfter, List<StuckBuild> stuck, List<DependencyHealth.Dependency> dependencies) {
    }

    @GET
    @Path("/health")
    @Produces(MediaType.APPLICATION_JSON)
    @WithSession
    @Operation(summary = "Charts over the window (default PT1H): builds finished per bucket by outcome, unfinished "
            + "builds by state, p50/p95 time per stage; stuck builds; whether each dependency answers")
    public Uni<PipelineHealth> health(@QueryParam("team") String team, @QueryParam("window") String window) {
        Duration length = window(window);
        OffsetDateTime until = OffsetDateTime.now(ZoneOffset.UTC);
        OffsetDateTime since = until.minus(length);
        Duration stuckAfter = config.pipeline().stuckAfter();
        Parameters parameters = new Parameters();
        String teams = SpecQueries.teamCondition(caller.scope(), team, "b.team", parameters);
        Map<String, Object> scoped = parameters.map();
        return transitions(teams, scoped, since).flatMap(transitions -> stuck(teams, scoped, until, stuckAfter)
                .map(stuck -> new PipelineHealth(length.toString(), since, until,
                        PipelineCharts.of(transitions, since, until), transitions.size() >= MAX_TRANSITIONS,
                        stuckAfter.toString(), stuck, dependencies.dependencies())));
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    @WithSession
    @Operation(summary = "Builds in flight with their progress, recent failures, and per state the backlog and how "
            + "many builds entered it within the window (default PT1H)")
    public Uni<PipelineSummary> summary(@QueryParam("team") String team, @QueryParam("window") String window) {
        Duration length = window(window);
        OffsetDateTime since = OffsetDateTime.now(ZoneOffset.UTC).minus(length);
        Parameters parameters = new Parameters();
        String teams = SpecQueries.teamCondition(caller.scope(), team, "b.team", parameters);
        Map<String, Object> scoped = parameters.map();
        // One session runs one query at a time: the queries follow each other.
        return stateCounts(teams, scoped, since)
                .flatMap(states -> builds(teams + " and b.state in :states order by b.createdAt desc, b.id",
                        with(scoped, "states", IN_FLIGHT), MAX_IN_FLIGHT)
                        .flatMap(inFlight -> finishedSince(teams, scoped, List.of(BuildState.FAILED), since)
                                .flatMap(failures -> finishedSince(teams, scoped, FINISHED_WITHOUT_FAILING, since)
                                        .map(finished -> new PipelineSummary(length.toString(), since, states,
                                                inFlight, failures, finished)))));
    }

    /**
     * Server-sent events: {@code build} with a changed build of the caller's teams (data: the build
     * as {@code GET /api/v1/builds} lists it) and {@code resync} when changes may have been missed
     * (reload the summary). The stream ends when the caller's token expires. Open it before loading
     * the summary and keep the newer of two versions of a build ({@code updatedAt}): then nothing
     * falls between the two.
     */
    @GET
    @Path("/events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @Operation(summary = "Live changes of the caller's teams' builds (server-sent events `build` and `resync`)")
    public Multi<OutboundSseEvent> events(@Context Sse sse) {
        TeamScope scope = caller.scope();
        Duration untilExpiry = Duration.between(Instant.now(), Instant.ofEpochSecond(token.getExpirationTime()));
        Multi<OutboundSseEvent> changes = feed.updates()
                .onOverflow().buffer(STREAM_BUFFER)
                .filter(update -> !(update instanceof PipelineUpdate.BuildChanged changed) || scope.includes(changed.team()))
                .map(update -> update instanceof PipelineUpdate.BuildChanged changed
                        ? sse.newEventBuilder().name("build").mediaType(MediaType.APPLICATION_JSON_TYPE)
                                .data(changed.build()).build()
                        : sse.newEventBuilder().name("resync").data("").build());
        // A comment at once: the response starts, and the viewer knows the stream is live.
        Multi<OutboundSseEvent> heartbeats = Multi.createBy().concatenating().streams(
                Multi.createFrom().item(() -> sse.newEventBuilder().comment("connected").build()),
                Multi.createFrom().ticks().every(HEARTBEAT).map(tick -> sse.newEventBuilder().comment("heartbeat").build()));
        return Multi.createBy().merging().streams(changes, heartbeats).select().first(untilExpiry);
    }

    private static Duration window(String window) {
        if (window == null || window.isBlank()) {
            return DEFAULT_WINDOW;
        }
        try {
            Duration length = Duration.parse(window.trim());
            if (length.isNegative() || length.isZero() || length.compareTo(MAX_WINDOW) > 0) {
                throw new BadRequestException("window must be positive and at most " + MAX_WINDOW);
            }
            return length;
        } catch (DateTimeParseException e) {
            throw new BadRequestException("window must be an ISO-8601 duration, e.g. PT1H");
        }
    }

    /**
     * Every state change of the builds that were unfinished at some time since {@code since}: those
     * unfinished now, and those that changed within the window (their earlier states included).
     */
    private static Uni<List<PipelineCharts.Transition>> transitions(String teams, Map<String, Object> scoped,
            OffsetDateTime since) {
        return Panache.getSession().flatMap(session -> {
            var select = session.createSelectionQuery("select t.buildId, t.state, t.enteredAt, b.bootTestMillis "
                    + "from BuildTransitionEntity t, BuildEntity b where b.id = t.buildId and " + teams
                    + " and (b.state in :inFlight or exists (from BuildTransitionEntity w where w.buildId = b.id "
                    + "and w.enteredAt >= :since)) order by t.enteredAt desc", Object[].class);
            with(with(scoped, "inFlight", IN_FLIGHT), "since", since).forEach(select::setParameter);
            return select.setMaxResults(MAX_TRANSITIONS).getResultList();
        }).map(rows -> rows.stream().map(row -> new PipelineCharts.Transition((UUID) row[0], (BuildState) row[1],
                (OffsetDateTime) row[2], (Long) row[3])).toList());
    }

    private static Uni<List<StuckBuild>> stuck(String teams, Map<String, Object> scoped, OffsetDateTime now,
            Duration stuckAfter) {
        return BuildEntity.<BuildEntity>find("from BuildEntity b join fetch b.spec where " + teams
                + " and b.state in :inFlight and b.updatedAt < :silentSince order by b.updatedAt, b.id",
                with(with(scoped, "inFlight", IN_FLIGHT), "silentSince", now.minus(stuckAfter)))
                .range(0, MAX_STUCK - 1).list()
                .map(builds -> builds.stream().map(build -> new StuckBuild(BuildResource.Listed.of(build),
                        build.state.awaitedFrom().orElseThrow(), build.updatedAt,
                        Duration.between(build.updatedAt, now).toSeconds())).toList());
    }

    private static Map<String, Object> with(Map<String, Object> parameters, String name, Object value) {
        Map<String, Object> more = new HashMap<>(parameters);
        more.put(name, value);
        return more;
    }

    /** Per state: builds in it now (unfinished states only), and builds that entered it since {@code since}. */
    private static Uni<List<StateCount>> stateCounts(String teams, Map<String, Object> scoped, OffsetDateTime since) {
        return groupCount("select b.state, count(b) from BuildEntity b where " + teams
                + " and b.state in :inFlight group by b.state", with(scoped, "inFlight", IN_FLIGHT))
                .flatMap(current -> groupCount("select t.state, count(t) from BuildTransitionEntity t, BuildEntity b "
                        + "where b.id = t.buildId and " + teams + " and t.enteredAt >= :since group by t.state",
                        with(scoped, "since", since))
                        .map(entered -> Arrays.stream(BuildState.values())
                                .map(state -> new StateCount(state,
                                        state.isTerminal() ? null : current.getOrDefault(state, 0L),
                                        entered.getOrDefault(state, 0L)))
                                .toList()));
    }

    /** The latest builds that finished in one of {@code states} since {@code since}. */
    private static Uni<List<BuildResource.Listed>> finishedSince(String teams, Map<String, Object> scoped,
            List<BuildState> states, OffsetDateTime since) {
        return builds(teams + " and b.state in :states and exists (from BuildTransitionEntity t where t.buildId = b.id "
                + "and t.state = b.state and t.enteredAt >= :since) order by b.updatedAt desc, b.id",
                with(with(scoped, "states", states), "since", since), MAX_RECENT);
    }

    private static Uni<List<BuildResource.Listed>> builds(String condition, Map<String, Object> parameters, int limit) {
        return BuildEntity.<BuildEntity>find("from BuildEntity b join fetch b.spec where " + condition, parameters)
                .range(0, limit - 1).list()
                .map(builds -> builds.stream().map(BuildResource.Listed::of).toList());
    }

    private static Uni<Map<BuildState, Long>> groupCount(String query, Map<String, Object> parameters) {
        return Panache.getSession().flatMap(session -> {
            var select = session.createSelectionQuery(query, Object[].class);
            parameters.forEach(select::setParameter);
            return select.getResultList();
        }).map(rows -> {
            Map<BuildState, Long> counts = new EnumMap<>(BuildState.class);
            rows.forEach(row -> counts.put((BuildState) row[0], (Long) row[1]));
            return counts;
        });
    }
}
