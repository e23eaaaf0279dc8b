package dev.byoos.spec.validation;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The rules of {@code /spec/targets}: one target per cloud, each cloud's formats and parameters,
 * which builder makes which format, and what this installation's builders can build today.
 */
final class TargetRules implements SpecRule {

    static final String NATIVE = "native";
    static final String IMAGE_BUILDER = "image-builder";
    /** The formats each cloud takes; the first is the default. */
    static final Map<String, List<String>> CLOUD_FORMATS = Map.of(
            "aws", List.of("ami"), "azure", List.of("vhd"), "gcp", List.of("gcp-tar"), "vsphere", List.of("ova"),
            "maas", List.of("tgz"), "edge", List.of("oci"), "qemu", List.of("qcow2", "raw"));
    /** The formats each builder produces. AMIs only exist inside AWS, so only image-builder makes them. */
    static final Map<String, Set<String>> BUILDER_FORMATS = Map.of(
            NATIVE, Set.of("qcow2", "raw", "vhd", "gcp-tar", "ova", "tgz", "oci"),
            IMAGE_BUILDER, Set.of("ami", "vhd", "gcp-tar", "ova"));
    /** Clouds whose images are normally built inside the cloud, by Kubernetes Image Builder. */
    static final Set<String> IMAGE_BUILDER_BY_DEFAULT = Set.of("aws", "azure", "vsphere");
    /**
     * What this installation's builders can build today, per builder: the native builder every
     * format it writes. Everything else in BUILDER_FORMATS is a valid spec that is rejected as not
     * buildable here (TARGET_NOT_BUILDABLE), so nobody waits for a build that cannot start.
     */
    static final Map<String, Set<String>> BUILDABLE_FORMATS = Map.of(NATIVE, BUILDER_FORMATS.get(NATIVE));
    /**
     * What the workers' image-builder executor builds inside the clouds, once an installation runs it
     * (byoos.spec.image-builder.enabled): AMIs, Azure VHDs and vSphere templates.
     */
    static final Set<String> IMAGE_BUILDER_BUILDABLE_FORMATS = Set.of("ami", "vhd", "ova");
    /** The distributions Kubernetes Image Builder has builds for. */
    static final Set<String> IMAGE_BUILDER_OS = Set.of("ubuntu", "rhel", "rockylinux");
    /** Each cloud's own parameters: the other clouds' targets must not carry them. */
    private static final List<String> CLOUD_PARAMETERS = List.of("aws", "azure", "vsphere");
    private static final String AT = "/spec/targets";

    private final Map<String, Set<String>> buildableFormats;

    /** @param imageBuilder whether the workers run the image-builder executor (cloud builds accepted) */
    TargetRules(boolean imageBuilder) {
        this.buildableFormats = imageBuilder
                ? Map.of(NATIVE, BUILDABLE_FORMATS.get(NATIVE), IMAGE_BUILDER, IMAGE_BUILDER_BUILDABLE_FORMATS)
                : BUILDABLE_FORMATS;
    }

    /** The format a target gets when it names none. */
    static String defaultFormat(String cloud) {
        return CLOUD_FORMATS.get(cloud).get(0);
    }

    /** The builder a target gets when it names none. */
    static String defaultBuilder(String cloud) {
        return IMAGE_BUILDER_BY_DEFAULT.contains(cloud) ? IMAGE_BUILDER : NATIVE;
    }

    @Override
    public void check(SpecDocument spec, Violations violations) {
        String imageType = spec.has("/spec/imageType") ? spec.text("/spec/imageType") : "standard";
        String os = spec.text("/spec/os/name");
        Set<String> clouds = new HashSet<>();
        for (int i = 0; i < spec.size(AT); i++) {
            String at = AT + "/" + i;
            String cloud = spec.object(at) == null ? null : spec.text(at + "/cloud");
            if (cloud == null) {
                continue;
            }
            for (String parameters : CLOUD_PARAMETERS) {
                if (spec.has(at + "/" + parameters) && !parameters.equals(cloud)) {
                    violations.add(at + "/" + parameters, Violation.NOT_ALLOWED,
                            parameters + " parameters belong to " + parameters + " targets, not " + cloud);
                }
            }
            if (!clouds.add(cloud)) {
                violations.add(at + "/cloud", Violation.DUPLICATE, "cloud '" + cloud + "' is already a target; "
                        + "a spec has one target per cloud because each target publishes its own pack");
            }
            String format = spec.has(at + "/format") ? spec.text(at + "/format") : defaultFormat(cloud);
            if (format != null && !CLOUD_FORMATS.get(cloud).contains(format)) {
                violations.add(at + "/format", Violation.NOT_ALLOWED, "cloud '" + cloud + "' takes "
                        + CLOUD_FORMATS.get(cloud));
                format = null;
            }
            String builder = spec.has(at + "/builder") ? spec.text(at + "/builder") : defaultBuilder(cloud);
            cloudParameters(spec, at, cloud, violations);
            if (format != null && builder != null) {
                buildable(at, cloud, format, builder, imageType, os, violations);
            }
        }
    }

    private static void cloudParameters(SpecDocument spec, String at, String cloud, Violations violations) {
        if (cloud.equals("aws") && !spec.has(at + "/aws")) {
            violations.add(at + "/aws", Violation.REQUIRED, "aws targets need aws.regions: the regions the AMI is copied to");
        }
        if (cloud.equals("azure") && !spec.has(at + "/azure")) {
            violations.add(at + "/azure", Violation.REQUIRED,
                    "azure targets need azure.storageLocation: the region the VHD is stored in");
        }
        String folder = cloud.equals("vsphere") ? spec.text(at + "/vsphere/folder") : null;
        if (folder != null && List.of(folder.split("/")).contains("..")) {
            violations.add(at + "/vsphere/folder", Violation.INVALID_FORMAT, "must not contain '..' segments");
        }
    }

    /** A combination any builder could make is still refused when this installation cannot build it yet. */
    private void buildable(String at, String cloud, String format, String builder, String imageType, String os,
            Violations violations) {
        if (!BUILDER_FORMATS.get(builder).contains(format)) {
            violations.add(at + "/builder", Violation.NOT_ALLOWED, "the " + builder + " builder does not produce "
                    + format + " images; it produces " + OsRules.sorted(BUILDER_FORMATS.get(builder)));
            return;
        }
        if ("fips".equals(imageType) && !IMAGE_BUILDER.equals(builder)) {
            violations.add(at + "/builder", Violation.NOT_ALLOWED,
                    "fips images are built by image-builder (its FIPS branch); set builder: image-builder");
            return;
        }
        if (!buildableFormats.getOrDefault(builder, Set.of()).contains(format)) {
            violations.add(at, Violation.TARGET_NOT_BUILDABLE, "a " + format + " image for " + cloud + " by the "
                    + builder + " builder is a valid target, but this installation cannot build it yet; buildable now: "
                    + new TreeMap<>(buildableFormats)
                    + (!NATIVE.equals(builder) && buildableFormats.get(NATIVE).contains(format)
                            ? "; set builder: native to build it here" : ""));
        } else if (IMAGE_BUILDER.equals(builder) && "fips".equals(imageType)) {
            violations.add(at, Violation.TARGET_NOT_BUILDABLE,
                    "fips images need image-builder's FIPS branch, which the workers do not run yet");
        } else if (IMAGE_BUILDER.equals(builder) && os != null && !IMAGE_BUILDER_OS.contains(os)) {
            violations.add(at + "/builder", Violation.NOT_ALLOWED, "Kubernetes Image Builder has no " + os
                    + " builds; it builds " + OsRules.sorted(IMAGE_BUILDER_OS));
        }
    }
}
