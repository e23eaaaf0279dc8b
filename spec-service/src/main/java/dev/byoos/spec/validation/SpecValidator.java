package dev.byoos.spec.validation;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import com.fasterxml.jackson.databind.JsonNode;

import io.opentelemetry.instrumentation.annotations.WithSpan;
import io.quarkus.runtime.Startup;

import dev.byoos.spec.config.SpecServiceConfig;
import dev.byoos.spec.model.ImageSpec;

/**
 * Checks a parsed spec document and, when it is acceptable, turns it into an {@link ImageSpec}
 * with defaults applied. The JSON Schema states the structure ({@link SpecSchema}); the rules it
 * cannot state are one {@link SpecRule} per section of the spec. Every violation is collected (not
 * just the first) so a user fixes a spec in one round trip; unknown fields are violations because
 * a typo must never be ignored.
 */
@ApplicationScoped
@Startup // built at startup, so a malformed byoos.spec.default-mirrors setting stops the service at once
public class SpecValidator {

    /** Codes that make a value unusable: the rules do not reason from it. */
    private static final Set<String> REFUSING = Set.of(Violation.WRONG_TYPE, Violation.INVALID_FORMAT,
            Violation.NOT_ALLOWED, Violation.REQUIRED);

    private final SpecSchema schema = new SpecSchema();
    private final List<SpecRule> rules;
    private final SpecMapping mapping;

    /** Where {@link #offline} puts the base the server would fill in from its own default mirror. */
    public static final String OFFLINE_DEFAULT_MIRROR = "https://installation-default-mirror.invalid/";

    /**
     * A validator for tools that run without the server (the CLI's offline {@code validate}). The
     * installation's host allow-list cannot be known offline either: hosts are checked against
     * {@code allowedHosts} when given (the server's syntax, {@link HostPolicy}), and not at all
     * otherwise. For a Debian or Ubuntu spec without a base it picks the suite the server would,
     * from a placeholder mirror ({@link #OFFLINE_DEFAULT_MIRROR} + the distribution); the
     * placeholder's {@code .invalid} name never resolves, so it cannot be mistaken for a real mirror.
     */
    public static SpecValidator offline(Optional<List<String>> allowedHosts) {
        Map<String, String> placeholders = new HashMap<>();
        DefaultBases.SUITES.keySet().forEach(os -> placeholders.put(os, OFFLINE_DEFAULT_MIRROR + os));
        HostPolicy hosts = allowedHosts.map(HostPolicy::configured).orElseGet(HostPolicy::unchecked);
        return new SpecValidator(hosts, Clock.systemUTC(), false, new DefaultBases(placeholders));
    }

    @Inject
    public SpecValidator(SpecServiceConfig config, KubernetesSupportMatrix matrix) {
        this(HostPolicy.configured(config.allowedHosts()), Clock.systemUTC(),
                config.imageBuilder().enabled(), matrix, defaultBases(config.defaultMirrors()));
    }

    SpecValidator(HostPolicy hosts, Clock clock) {
        this(hosts, clock, false);
    }

    /** @param imageBuilder whether the workers run the image-builder executor (cloud builds accepted) */
    SpecValidator(HostPolicy hosts, Clock clock, boolean imageBuilder) {
        this(hosts, clock, imageBuilder, DefaultBases.none());
    }

    /**
     * @param imageBuilder whether the workers run the image-builder executor (cloud builds accepted)
     * @param defaults     the base Debian and Ubuntu specs without one get
     */
    SpecValidator(HostPolicy hosts, Clock clock, boolean imageBuilder, DefaultBases defaults) {
        this(hosts, clock, imageBuilder, KubernetesSupportMatrix.load(), defaults);
    }

    private SpecValidator(HostPolicy hosts, Clock clock, boolean imageBuilder, KubernetesSupportMatrix matrix,
            DefaultBases defaults) {
        this.rules = List.of(new OsRules(new HostRules(hosts), defaults), new KubernetesRules(matrix),
                new TargetRules(imageBuilder), new CustomizationRules(clock), new UpdateRules());
        this.mapping = new SpecMapping(matrix, defaults);
    }

    private static DefaultBases defaultBases(SpecServiceConfig.DefaultMirrors mirrors) {
        Map<String, String> configured = new HashMap<>();
        mirrors.debian().ifPresent(mirror -> configured.put("debian", mirror));
        mirrors.ubuntu().ifPresent(mirror -> configured.put("ubuntu", mirror));
        return new DefaultBases(configured);
    }

    /** @throws SpecRejectedException with every violation, in document order, when the spec is not acceptable */
    @WithSpan("spec.validate")
    public ImageSpec validate(JsonNode document) {
        List<Violation> structural = schema.check(document);
        Set<String> refused = structural.stream().filter(violation -> REFUSING.contains(violation.code()))
                .map(Violation::pointer).collect(Collectors.toSet());
        SpecDocument spec = new SpecDocument(document, refused);
        Violations semantic = new Violations();
        rules.forEach(rule -> rule.check(spec, semantic));

        Set<String> reported = structural.stream().map(Violation::pointer).collect(Collectors.toSet());
        List<Violation> violations = new ArrayList<>(structural);
        // One violation per field: what the schema found about a value says enough about it.
        semantic.list().stream().filter(violation -> !reported.contains(violation.pointer())).forEach(violations::add);
        if (!violations.isEmpty()) {
            violations.sort(java.util.Comparator.comparing(Violation::pointer, new DocumentOrder(document)));
            throw new SpecRejectedException(violations);
        }
        return mapping.imageSpec(document);
    }
}
