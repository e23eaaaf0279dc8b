package dev.byoos.worker.builder.imagebuilder;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.byoos.contract.BuildCoordinates;
import dev.byoos.worker.builder.core.BuildException;

/**
 * The Kubernetes Image Builder make target for a build: {@code build-<provider>-<os>-<version>},
 * e.g. {@code build-ami-ubuntu-2204}, {@code build-azure-vhd-rhel-8},
 * {@code build-node-ova-vsphere-rockylinux-9}.
 *
 * @param makeTarget what {@code make} is asked to build
 * @param family     {@code deb} or {@code rpm}: which of image-builder's package variables apply
 */
public record ImageBuilderTarget(String makeTarget, String family) {

    /** The target prefix per cloud/format; Palette's BYOOS pack wants exactly these kinds of image. */
    static final Map<String, String> PROVIDER_PREFIXES = Map.of(
            "aws/ami", "build-ami-",
            "azure/vhd", "build-azure-vhd-",
            "vsphere/ova", "build-node-ova-vsphere-");

    /** image-builder names Ubuntu by release without the dot (2204) and RHEL-family by major version. */
    private static final Pattern UBUNTU_RELEASE = Pattern.compile("(\\d{2})\\.(04)");
    private static final Pattern MAJOR_VERSION = Pattern.compile("(\\d+)(\\.\\d+)*");

    public static boolean supports(String cloud, String format) {
        return PROVIDER_PREFIXES.containsKey(cloud + "/" + format);
    }

    /** @throws BuildException (BAD_INPUT) for a target or distribution image-builder has no build for */
    public static ImageBuilderTarget of(BuildCoordinates build) {
        BuildCoordinates.Target target = build.target();
        String prefix = PROVIDER_PREFIXES.get(target.cloud() + "/" + target.format());
        if (prefix == null) {
            throw new BuildException(BuildException.Kind.BAD_INPUT, "TARGET_NOT_SUPPORTED",
                    "image-builder builds " + PROVIDER_PREFIXES.keySet() + ", not " + target.cloud() + "/" + target.format(),
                    null);
        }
        String os = build.os().name();
        String version = build.os().version();
        return switch (os) {
            case "ubuntu" -> {
                Matcher release = UBUNTU_RELEASE.matcher(version);
                if (!release.matches()) {
                    throw unsupported(os, version, "an Ubuntu LTS release such as 22.04");
                }
                yield new ImageBuilderTarget(prefix + "ubuntu-" + release.group(1) + release.group(2), "deb");
            }
            case "rhel", "rockylinux" -> {
                Matcher major = MAJOR_VERSION.matcher(version);
                if (!major.matches()) {
                    throw unsupported(os, version, "a version such as 8 or 9.4");
                }
                yield new ImageBuilderTarget(prefix + os + "-" + major.group(1), "rpm");
            }
            default -> throw unsupported(os, version, "ubuntu, rhel or rockylinux");
        };
    }

    private static BuildException unsupported(String os, String version, String expected) {
        return new BuildException(BuildException.Kind.BAD_INPUT, "OS_NOT_SUPPORTED",
                "image-builder has no build for " + os + " " + version + "; it needs " + expected, null);
    }
}
