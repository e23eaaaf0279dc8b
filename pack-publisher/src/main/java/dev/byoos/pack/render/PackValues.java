package dev.byoos.pack.render;

import java.util.regex.Pattern;

/**
 * A pack's values.yaml and schema.yaml. Both follow from what the catalog keeps of a version (kind,
 * cloud type, image reference, OS), so the catalog API serves the same values a pack carries.
 * docs/packs.md says which Palette documentation each key follows.
 */
public final class PackValues {

    /**
     * CanvOS's name for upstream kubeadm, the distribution the native builder installs; Palette
     * pairs it with Palette eXtended Kubernetes - Edge.
     */
    static final String EDGE_K8S_DISTRIBUTION = "kubeadm";

    private PackValues() {
    }

    /** The values.yaml of a pack of this kind pointing at {@code reference}. */
    public static String values(PackKind kind, String reference, String osName, String osVersion) {
        if (kind == PackKind.GENERIC_BYOI) {
            return "# Bring Your Own OS (generic-byoi): the node image this pack deploys.\n"
                    + "pack:\n"
                    + "  osImageOverride: " + quote(reference) + "\n"
                    + "  osName: " + quote(osName) + "\n"
                    + "  osVersion: " + quote(osVersion) + "\n";
        }
        EdgeImage image = EdgeImage.of(reference);
        // The keys CanvOS prints for its provider images. CanvOS composes system.uri from them as a
        // template; ours is the literal reference, because the tag the image was pushed under does
        // not follow CanvOS's <distribution>-<kubernetes>-<peVersion>-<customTag> layout.
        return "# Bring Your Own OS for Edge (edge-native-byoi): the OS image this pack installs.\n"
                + "pack:\n"
                + "  content:\n"
                + "    images:\n"
                + "      - image: " + quote(reference) + "\n"
                + "options:\n"
                + "  system.uri: " + quote(reference) + "\n"
                + "  system.registry: " + quote(image.registry()) + "\n"
                + "  system.repo: " + quote(image.repository()) + "\n"
                + "  system.k8sDistribution: " + quote(EDGE_K8S_DISTRIBUTION) + "\n"
                + "  system.osName: " + quote(osName) + "\n"
                + "  system.osVersion: " + quote(osVersion) + "\n"
                // No Palette Edge agent is in the image (docs/packs.md), so there is no agent version.
                + "  system.peVersion: \"\"\n"
                + "  system.customTag: " + quote(image.tag()) + "\n";
    }

    /**
     * The schema.yaml Palette checks a profile's or cluster's override of the image reference
     * against (pack constraints: {@code required}, {@code format "${string:/regex/}"}, {@code hints}).
     */
    public static String schema(PackKind kind, String cloudType) {
        Pattern pattern = OsImageLocator.referencePattern(cloudType);
        StringBuilder schema = new StringBuilder(
                "# Palette checks these when a cluster profile or cluster sets the pack's values.\n");
        if (kind == PackKind.GENERIC_BYOI) {
            schema.append(entry("pack.osImageOverride", pattern, hint(cloudType)))
                    .append(entry("pack.osName", null, "distribution name, e.g. ubuntu"))
                    .append(entry("pack.osVersion", null, "distribution version, e.g. 22.04"));
        } else {
            schema.append(entry("options.system.uri", pattern, "the OS image: registry/repository:tag"));
        }
        return schema.toString();
    }

    private static String entry(String key, Pattern pattern, String hint) {
        String format = pattern == null ? "${string}" : "${string:/^(?:" + pattern.pattern() + ")$/}";
        return key + ":\n  schema: '{{ required | format \"" + format + "\" | hints \"" + hint + "\" }}'\n";
    }

    private static String hint(String cloudType) {
        return switch (cloudType) {
            case "aws" -> "an AMI id in the region of the cluster, e.g. ami-0f4804aff4cf9c5a2";
            case "azure" -> "the https URL of a VHD page blob";
            case "vsphere" -> "the path of the template, e.g. /Datacenter/vm/byoos/rhel-8-kube-v1.30.4";
            case "gcp" -> "a GCE image: name or projects/PROJECT/global/images/NAME";
            case "maas" -> "a MAAS custom image, e.g. custom/byoos-rhel-8";
            case "openstack" -> "a Glance image name";
            default -> throw new IllegalArgumentException("no hint for cloud type " + cloudType);
        };
    }

    /**
     * A YAML double-quoted scalar: the values are free text as far as YAML is concerned, and a line
     * break or control character in them must not start a key of its own.
     */
    static String quote(String value) {
        StringBuilder quoted = new StringBuilder("\"");
        for (char c : value.toCharArray()) {
            switch (c) {
                case '"' -> quoted.append("\\\"");
                case '\\' -> quoted.append("\\\\");
                default -> {
                    if (c < 0x20 || c == 0x7f) {
                        quoted.append(String.format("\\x%02x", (int) c));
                    } else {
                        quoted.append(c);
                    }
                }
            }
        }
        return quoted.append('"').toString();
    }

    /** An OCI reference split as CanvOS names the parts: registry host, repository path, tag. */
    record EdgeImage(String registry, String repository, String tag) {
        static EdgeImage of(String reference) {
            int slash = reference.indexOf('/');
            String registry = slash < 0 ? "" : reference.substring(0, slash);
            String rest = reference.substring(slash + 1);
            int colon = rest.lastIndexOf(':');
            return colon < 0 ? new EdgeImage(registry, rest, "")
                    : new EdgeImage(registry, rest.substring(0, colon), rest.substring(colon + 1));
        }
    }
}
