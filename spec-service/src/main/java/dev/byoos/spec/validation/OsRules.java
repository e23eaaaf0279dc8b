package dev.byoos.spec.validation;

import java.util.List;
import java.util.Set;

/**
 * The rules of {@code /spec/os} and {@code /spec/imageType}: which distributions a base kind and a
 * FIPS image fit, where bases come from, which base kinds this installation can build from, and
 * whether a spec without a base gets a default one ({@link DefaultBases}).
 */
final class OsRules implements SpecRule {

    static final Set<String> DEB_FAMILY = Set.of("ubuntu", "debian");
    /** Distributions with FIPS 140-validated modules (Ubuntu Pro, RHEL and Rocky Linux FIPS mode). */
    static final Set<String> FIPS_OS = Set.of("ubuntu", "rhel", "rockylinux");
    /** Base kinds the native builder can start from today; the others are validated, then refused. */
    static final Set<String> BUILDABLE_BASES = Set.of("local", "debootstrap", "tarball");
    private static final String BASE = "/spec/os/base";

    private final HostRules hosts;
    private final DefaultBases defaults;

    OsRules(HostRules hosts, DefaultBases defaults) {
        this.hosts = hosts;
        this.defaults = defaults;
    }

    @Override
    public void check(SpecDocument spec, Violations violations) {
        String os = spec.text("/spec/os/name");
        if ("fips".equals(spec.text("/spec/imageType")) && os != null && !FIPS_OS.contains(os)) {
            violations.add("/spec/imageType", Violation.NOT_ALLOWED, os + " has no FIPS 140-validated modules; "
                    + "fips images are for " + sorted(FIPS_OS));
        }
        String version = spec.text("/spec/os/version");
        if (spec.node(BASE) == null && os != null && version != null && defaults.base(os, version).isEmpty()) {
            violations.add(BASE, Violation.REQUIRED, defaults.whyNone(os, version));
        }
        List<String> kinds = spec.fieldNames(BASE);
        if (kinds.size() != 1) {
            return; // none or several: the schema said so
        }
        String kind = kinds.get(0);
        String at = BASE + "/" + kind;
        boolean given = kind.equals("local") || spec.object(at) != null;
        switch (kind) {
            case "debootstrap" -> {
                if (given) {
                    hosts.url(spec.text(at + "/mirror"), at + "/mirror", false, violations);
                    if (os != null && !DEB_FAMILY.contains(os)) {
                        violations.add(at, Violation.NOT_ALLOWED, "debootstrap builds Debian and Ubuntu bases only, not "
                                + os);
                    }
                }
            }
            case "tarball" -> {
                if (given) {
                    hosts.url(spec.text(at + "/url"), at + "/url", true, violations);
                }
            }
            case "image" -> {
                if (given) {
                    hosts.imageReference(spec.text(at + "/reference"), at + "/reference", violations);
                }
            }
            default -> given = kind.equals("local");
        }
        if (given && !BUILDABLE_BASES.contains(kind)) {
            violations.add(at, Violation.BASE_NOT_BUILDABLE, kind + " bases are valid but this installation's builder "
                    + "cannot start from them yet; buildable base kinds: " + sorted(BUILDABLE_BASES));
        }
    }

    static List<String> sorted(Set<String> values) {
        return values.stream().sorted().toList();
    }
}
