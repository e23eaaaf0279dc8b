package dev.byoos.spec.validation;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import dev.byoos.contract.BuildRequested;

/**
 * The base a Debian or Ubuntu spec gets when it names none: debootstrap of its release's suite
 * from this installation's default mirror for the distribution ({@code byoos.spec.default-mirrors.*}).
 * The accepted spec carries it, so the stored spec names its mirror and a later change of the
 * default changes no existing spec.
 */
final class DefaultBases {

    /** Releases debootstrap makes bases of, by distribution and version: the ones the workers build. */
    static final Map<String, Map<String, String>> SUITES = Map.of(
            "debian", Map.of("11", "bullseye", "12", "bookworm", "13", "trixie"),
            "ubuntu", Map.of("20.04", "focal", "22.04", "jammy", "24.04", "noble"));

    private final Map<String, String> mirrors;

    /**
     * @param mirrors the default mirror per distribution ({@code debian}, {@code ubuntu}); a
     *                distribution without one has no default base
     * @throws IllegalArgumentException when a mirror is not an http(s) URL with a host (a
     *                                  misconfiguration, reported at startup rather than per spec)
     */
    DefaultBases(Map<String, String> mirrors) {
        Map<String, String> checked = new LinkedHashMap<>();
        mirrors.forEach((os, mirror) -> {
            if (!SUITES.containsKey(os)) {
                throw new IllegalArgumentException("byoos.spec.default-mirrors." + os + ": debootstrap builds "
                        + "Debian and Ubuntu only");
            }
            checked.put(os, checkedMirror(os, mirror.strip()));
        });
        this.mirrors = Map.copyOf(checked);
    }

    static DefaultBases none() {
        return new DefaultBases(Map.of());
    }

    /** @return the base a spec for {@code os} {@code version} without one gets, if it gets one */
    Optional<BuildRequested.Debootstrap> base(String os, String version) {
        String suite = SUITES.getOrDefault(os, Map.of()).get(version);
        String mirror = mirrors.get(os);
        return suite == null || mirror == null ? Optional.empty()
                : Optional.of(new BuildRequested.Debootstrap(suite, mirror));
    }

    /** Why a spec for {@code os} {@code version} without a base gets none, for the violation. */
    String whyNone(String os, String version) {
        if (!SUITES.containsKey(os)) {
            return "required for " + os + ": only Debian and Ubuntu specs get a default base (debootstrap)";
        }
        if (!SUITES.get(os).containsKey(version)) {
            return "required for " + os + " " + version + ": a default base (debootstrap) exists for " + os + " "
                    + OsRules.sorted(SUITES.get(os).keySet()) + " only";
        }
        return "required: this installation has no default " + os + " mirror (byoos.spec.default-mirrors." + os
                + "); name a base, e.g. debootstrap with suite " + SUITES.get(os).get(version) + " and a mirror";
    }

    private static String checkedMirror(String os, String mirror) {
        try {
            URI uri = new URI(mirror);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if ((scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null
                    && uri.getRawUserInfo() == null) {
                return mirror;
            }
        } catch (URISyntaxException e) {
            // reported below, like any other malformed value
        }
        throw new IllegalArgumentException("byoos.spec.default-mirrors." + os + " must be an http(s) URL with a host "
                + "and no credentials");
    }
}
