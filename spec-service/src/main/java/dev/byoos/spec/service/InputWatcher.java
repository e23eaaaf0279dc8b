package dev.byoos.spec.service;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;

import jakarta.enterprise.context.ApplicationScoped;

import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.instrumentation.annotations.WithSpan;
import io.quarkus.scheduler.Scheduled;
import io.quarkus.vertx.VertxContextSupport;
import io.smallrye.mutiny.Uni;

import dev.byoos.contract.BuildRequested.Kubernetes;
import dev.byoos.spec.BuildTrigger;
import dev.byoos.spec.config.SpecServiceConfig;
import dev.byoos.spec.model.ImageSpec;
import dev.byoos.spec.notify.Deliveries;
import dev.byoos.spec.notify.NotificationTypes;
import dev.byoos.spec.repository.WatchStore;
import dev.byoos.spec.repository.WatchStore.BaseObservation;
import dev.byoos.spec.repository.WatchStore.LatestSpec;
import dev.byoos.spec.validation.HostPolicy;
import dev.byoos.spec.validation.KubernetesSupportMatrix;

/**
 * Notices changed inputs of the specs that opted in ({@code spec.updates}) and acts per spec:
 * {@code notify} queues a notification for the team, {@code rebuild} also stores the next spec
 * version with the next pack version ({@link NextPackVersionRebuilds}).
 *
 * <p>Every replica ticks; the one whose claim takes the current interval window checks. Bases: for
 * each distinct (mirror, suite) among the latest versions of the watching specs, the suite's
 * Release file is observed ({@link ReleaseFiles}); the first observation is a baseline, and a
 * changed digest is acted on by the one caller whose conditional update moved the stored digest.
 * Kubernetes: a spec whose minor has a higher patch release in the support matrix is acted on once
 * per spec and patch. A mirror that cannot be observed, or a spec whose rebuild fails, is logged
 * (and counted) and never keeps the others from being handled.
 */
@ApplicationScoped
public class InputWatcher {

    /** Inputs that gave no observation, by input and reason. */
    public static final String ERRORS = "byoos.watch.errors";

    private static final Logger LOG = Logger.getLogger(InputWatcher.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** How long one statement of the watcher may wait for the database. */
    private static final Duration DATABASE = Duration.ofSeconds(30);

    /** What one check of a base found. */
    public enum Outcome {
        /** The first observation: recorded, nothing done. */
        BASELINE,
        UNCHANGED,
        /** Changed, and this caller acted on it. */
        CHANGED,
        /** Changed, but another caller claimed the change first and acts on it. */
        CLAIMED_ELSEWHERE,
        /** No observation (see the error metric and the log); nothing recorded. */
        FAILED
    }

    /** @param reason why it failed ({@link #ERRORS}' reason tag); null otherwise */
    public record BaseCheck(String mirror, String suite, Outcome outcome, String reason) {
    }

    private final WatchStore store;
    private final NextPackVersionRebuilds rebuilds;
    private final Deliveries deliveries;
    private final KubernetesSupportMatrix matrix;
    private final MeterRegistry registry;
    private final Clock clock;
    private final SpecServiceConfig.Watch config;
    private final ReleaseFiles releases;

    public InputWatcher(WatchStore store, NextPackVersionRebuilds rebuilds, Deliveries deliveries,
            KubernetesSupportMatrix matrix, MeterRegistry registry, Clock clock, SpecServiceConfig config) {
        this.store = store;
        this.rebuilds = rebuilds;
        this.deliveries = deliveries;
        this.matrix = matrix;
        this.registry = registry;
        this.clock = clock;
        this.config = config.watch();
        // The host policy of intake, as configured now: a spec stored under an older list is not followed.
        this.releases = new ReleaseFiles(HostPolicy.configured(config.allowedHosts()),
                this.config.timeout(), this.config.maxReleaseBytes());
    }

    /** Blocking (mirrors are read here), so on a worker thread, as Quarkus runs a void scheduled method. */
    @Scheduled(every = "${byoos.spec.watch.interval}", delayed = "${byoos.spec.watch.interval}",
            concurrentExecution = Scheduled.ConcurrentExecution.SKIP)
    void tick() {
        if (!config.enabled()) {
            return;
        }
        try {
            Instant now = clock.instant();
            if (claim(now)) {
                checkBases(now);
                checkKubernetesPatches(now);
            }
        } catch (RuntimeException e) {
            LOG.warnf("watch: check failed; the next interval retries: %s", e.toString());
        }
    }

    /**
     * Claims the check of the interval window {@code now} falls in (windows are aligned to the
     * epoch); true for the one caller across replicas that took it.
     */
    public boolean claim(Instant now) {
        long interval = config.interval().toMillis();
        Instant nextWindow = Instant.ofEpochMilli((now.toEpochMilli() / interval + 1) * interval);
        return store.claimCheck(utc(now), utc(nextWindow)).await().atMost(DATABASE);
    }

    /** Observes every watched base once and acts on the changes this caller claims. */
    @WithSpan("watch.bases")
    public List<BaseCheck> checkBases(Instant now) {
        Map<List<String>, List<ImageSpec>> bySource = new LinkedHashMap<>();
        for (ImageSpec spec : watching("base")) {
            ImageSpec.Base base = spec.spec().os().base();
            if (base.debootstrap() != null) {
                bySource.computeIfAbsent(List.of(base.debootstrap().mirror(), base.debootstrap().suite()),
                        source -> new ArrayList<>()).add(spec);
            }
        }
        List<BaseCheck> checks = new ArrayList<>();
        bySource.forEach((source, specs) -> checks.add(checkBase(source.get(0), source.get(1), specs, now)));
        return checks;
    }

    private BaseCheck checkBase(String mirror, String suite, List<ImageSpec> specs, Instant now) {
        ReleaseFiles.Observed observed;
        try {
            observed = releases.observe(mirror, suite);
        } catch (ReleaseFiles.Unobservable e) {
            Counter.builder(ERRORS).description("Watched inputs that gave no observation, by reason")
                    .tags("input", "base", "reason", e.reason()).register(registry).increment();
            LOG.warnf("watch: base %s suite %s not observed (%s): %s", mirror, suite, e.reason(), e.getMessage());
            return new BaseCheck(mirror, suite, Outcome.FAILED, e.reason());
        }
        BaseObservation current = new BaseObservation(mirror, suite, observed.digest(), observed.date());
        BaseObservation seen = store.base(mirror, suite).await().atMost(DATABASE);
        if (seen == null) {
            store.baseline(current, utc(now)).await().atMost(DATABASE);
            return new BaseCheck(mirror, suite, Outcome.BASELINE, null);
        }
        if (seen.digest().equals(current.digest())) {
            return new BaseCheck(mirror, suite, Outcome.UNCHANGED, null);
        }
        if (!store.claimChange(seen.digest(), current, utc(now)).await().atMost(DATABASE)) {
            return new BaseCheck(mirror, suite, Outcome.CLAIMED_ELSEWHERE, null);
        }
        LOG.infof("watch: base %s suite %s changed (%s, %s -> %s); %d spec(s) watch it", mirror, suite,
                observed.date(), seen.digest(), current.digest(), specs.size());
        for (ImageSpec spec : specs) {
            ObjectNode data = JSON.createObjectNode().put("team", spec.metadata().team())
                    .put("spec", spec.metadata().name()).put("mirror", mirror).put("suite", suite)
                    .put("oldDigest", seen.digest()).put("newDigest", current.digest())
                    .put("releaseDate", observed.date()).put("action", spec.spec().updates().base());
            act(spec, spec.spec().updates().base(), NotificationTypes.BASE_UPDATED, data, now,
                    () -> rebuilds.rebuild(spec.metadata().team(), spec.metadata().name(), BuildTrigger.BASE_UPDATED));
        }
        return new BaseCheck(mirror, suite, Outcome.CHANGED, null);
    }

    /**
     * Acts on the higher patch releases the support matrix has for the watching specs; each spec
     * and patch once. The patch releases acted on, as {@code team/spec -> patch}.
     */
    @WithSpan("watch.kubernetes-patches")
    public Map<String, String> checkKubernetesPatches(Instant now) {
        Map<String, String> acted = new LinkedHashMap<>();
        for (ImageSpec spec : watching("kubernetesPatches")) {
            Kubernetes kubernetes = spec.spec().kubernetes();
            Optional<String> patch = matrix.higherPatch(kubernetes.version());
            String team = spec.metadata().team();
            String name = spec.metadata().name();
            if (patch.isEmpty() || !store.claimPatch(team, name, patch.get(), utc(now)).await().atMost(DATABASE)) {
                continue;
            }
            String mode = spec.spec().updates().kubernetesPatches();
            ObjectNode data = JSON.createObjectNode().put("team", team).put("spec", name)
                    .put("kubernetesVersion", kubernetes.version()).put("patch", patch.get()).put("action", mode);
            act(spec, mode, NotificationTypes.KUBERNETES_PATCH, data, now, () -> rebuilds.rebuild(team, name,
                    BuildTrigger.KUBERNETES_PATCH, current -> patched(current, patch.get())));
            acted.put(team + "/" + name, patch.get());
        }
        return acted;
    }

    /**
     * {@code current} moved to {@code patch}: a component the spec left at its release's default
     * follows the new release's default, one set to another version stays (it was pinned).
     */
    Kubernetes patched(Kubernetes current, String patch) {
        KubernetesSupportMatrix.Components next = matrix.componentsFor(patch).orElseThrow();
        Optional<KubernetesSupportMatrix.Components> old = matrix.componentsFor(current.version());
        return new Kubernetes(patch,
                old.isPresent() && old.get().containerd().equals(current.containerd()) ? next.containerd()
                        : current.containerd(),
                old.isPresent() && old.get().cni().equals(current.cni()) ? next.cni() : current.cni(),
                old.isPresent() && old.get().crictl().equals(current.crictl()) ? next.crictl() : current.crictl());
    }

    /** Notifies the team (notify and rebuild), then rebuilds (rebuild); a failure is logged, never thrown. */
    private void act(ImageSpec spec, String mode, String type, ObjectNode data, Instant now,
            Supplier<Uni<SpecIntake.Accepted>> rebuild) {
        String team = spec.metadata().team();
        String subject = team + "/" + spec.metadata().name();
        // One id per change: a change handled again queues nothing more (Deliveries).
        String eventId = UUID.nameUUIDFromBytes((type + " " + subject + " " + data + " " + now.toEpochMilli())
                .getBytes(StandardCharsets.UTF_8)).toString();
        try {
            onContext(() -> deliveries.enqueue(team, eventId, type, SpecIntake.SOURCE, utc(now), subject,
                    data.toString()));
        } catch (RuntimeException e) {
            LOG.warnf("watch: %s for %s not queued: %s", type, subject, e.toString());
        }
        if (!ImageSpec.Updates.REBUILD.equals(mode)) {
            return;
        }
        try {
            SpecIntake.Accepted accepted = onContext(rebuild);
            LOG.infof("watch: %s rebuilt as spec version %d, pack %s (%s)", subject, accepted.spec().version,
                    accepted.spec().packVersion, type);
        } catch (RuntimeException e) {
            LOG.warnf("watch: %s not rebuilt (%s): %s", subject, type, e.toString());
        }
    }

    /** The latest version of each spec whose {@code spec.updates.<input>} is notify or rebuild. */
    private List<ImageSpec> watching(String input) {
        List<ImageSpec> specs = new ArrayList<>();
        for (LatestSpec latest : store.watching(input).await().atMost(DATABASE)) {
            try {
                specs.add(CanonicalSpecs.read(latest.id(), latest.document()));
            } catch (IllegalStateException e) {
                LOG.warnf("watch: %s/%s skipped: %s", latest.team(), latest.name(), e.getMessage());
            }
        }
        return specs;
    }

    /** Runs a Hibernate Reactive use case from this blocking thread, on a Vert.x context of its own. */
    private static <T> T onContext(Supplier<Uni<T>> useCase) {
        try {
            return VertxContextSupport.subscribeAndAwait(useCase);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    private static OffsetDateTime utc(Instant instant) {
        return instant.atOffset(ZoneOffset.UTC);
    }
}
