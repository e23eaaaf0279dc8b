package dev.byoos.pack.render;

import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

import dev.byoos.contract.ArtifactStored;
import dev.byoos.contract.BuildCompleted.CloudImage;
import dev.byoos.contract.BuildCompleted.OciImage;
import dev.byoos.contract.BuildCoordinates;
import dev.byoos.contract.BuildFailed;

/**
 * Decides, per target cloud, what a pack hands Palette as the OS image: the value of
 * {@code pack.osImageOverride} for {@code generic-byoi} packs, the OS image reference for
 * {@code edge-native-byoi} packs. The rules, including the ones Palette's documentation leaves
 * open (GCP, MAAS, OpenStack), are in docs/packs.md; every value is checked against the form its
 * infrastructure accepts, so a pack never points Palette at something it cannot resolve.
 */
public final class OsImageLocator {

    // Every pattern is also written into the pack's schema.yaml, which Palette evaluates with RE2:
    // character classes instead of backslash escapes, no look-around.
    static final Pattern AMI_ID = Pattern.compile("ami-(?:[0-9a-f]{8}|[0-9a-f]{17})");
    static final Pattern AWS_REGION = Pattern.compile("[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-[0-9]");
    static final Pattern AZURE_VHD_URL = Pattern.compile("https://[A-Za-z0-9.-]+(?::[0-9]{1,5})?/[A-Za-z0-9._~%/-]+[.][vV][hH][dD]");
    /**
     * A vSphere folder or template name's characters: vCenter allows more (escaping '/', '\' and
     * '%'), but these are safe in every file and format a pack is written to.
     */
    private static final String VSPHERE_CHAR = "A-Za-z0-9 ()._-";
    /** A name's first character: no '.' (so no '.' or '..' segment) and no space. */
    private static final String VSPHERE_FIRST = "A-Za-z0-9()_-";
    /**
     * A vSphere template path: optional folders, then the template's name (vCenter allows 80
     * characters). Any name is accepted, except that an {@code .ova} reference must carry the
     * {@code r_u-} prefix Palette's OVA import flow looks for; "does not end in .ova" is spelt out
     * character by character because RE2 has no look-ahead.
     */
    static final Pattern VSPHERE_TEMPLATE_PATH = Pattern.compile(
            "/?(?:[" + VSPHERE_FIRST + "][" + VSPHERE_CHAR + "]{0,79}/)*(?:"
                    + "r_u-[" + VSPHERE_CHAR + "]{1,72}[.][oO][vV][aA]"
                    + "|[" + VSPHERE_FIRST + "][" + VSPHERE_CHAR + "]{0,3}"
                    + "|[" + VSPHERE_FIRST + "][" + VSPHERE_CHAR + "]{0,75}(?:"
                    + "[ " + VSPHERE_FIRST + "][" + VSPHERE_CHAR + "]{3}"
                    + "|[" + VSPHERE_CHAR + "][A-NP-Za-np-z0-9 ()._-][" + VSPHERE_CHAR + "]{2}"
                    + "|[" + VSPHERE_CHAR + "]{2}[A-UW-Za-uw-z0-9 ()._-][" + VSPHERE_CHAR + "]"
                    + "|[" + VSPHERE_CHAR + "]{3}[B-Zb-z0-9 ()._-]))");
    static final Pattern GCE_IMAGE_NAME = Pattern.compile("[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?");
    static final Pattern GCE_IMAGE_PATH = Pattern.compile(
            "projects/[a-z][-a-z0-9.:]{4,61}[a-z0-9]/global/images/" + GCE_IMAGE_NAME.pattern());
    static final Pattern MAAS_CUSTOM_IMAGE = Pattern.compile("custom/[a-z0-9][a-z0-9._-]{0,62}");
    /** A Glance image name as {@code openstack image create} is given it (Glance allows 255 characters). */
    static final Pattern GLANCE_IMAGE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,254}");
    static final Pattern OCI_DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");
    static final Pattern OCI_REFERENCE = Pattern.compile("[A-Za-z0-9.-]+(?::[0-9]+)?(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)+"
            + "(?::[A-Za-z0-9_][A-Za-z0-9._-]{0,127})?");

    /** The pattern a cloud type's {@code osImageOverride} (or, for Edge, its {@code system.uri}) must match. */
    static Pattern referencePattern(String cloudType) {
        return switch (cloudType) {
            case "aws" -> AMI_ID;
            case "azure" -> AZURE_VHD_URL;
            case "vsphere" -> VSPHERE_TEMPLATE_PATH;
            case "gcp" -> Pattern.compile(GCE_IMAGE_NAME.pattern() + "|" + GCE_IMAGE_PATH.pattern());
            case "maas" -> MAAS_CUSTOM_IMAGE;
            case "openstack" -> GLANCE_IMAGE_NAME;
            case "edge-native" -> OCI_REFERENCE;
            default -> throw new IllegalArgumentException("no reference pattern for cloud type " + cloudType);
        };
    }

    /**
     * @param kind        which Palette pack this one stands in for
     * @param cloudType   the Palette cloud type in {@code pack.json}
     * @param reference   what Palette resolves: {@code osImageOverride}, or the Edge OS image reference
     * @param digest      the Edge OS image's manifest digest; null for generic packs
     * @param region      the AWS region {@code reference} lives in (AMIs are regional); null elsewhere
     * @param alternatives the other regions' images, for pack.json and the README
     */
    public record OsImage(PackKind kind, String cloudType, String reference, String digest, String region,
            List<CloudImage> alternatives) {
    }

    private final TargetSettings settings;

    public OsImageLocator(TargetSettings settings) {
        this.settings = settings;
    }

    public OsImage locate(ArtifactStored artifact) {
        BuildCoordinates build = artifact.build();
        String cloud = build.target().cloud();
        return switch (cloud) {
            case "aws" -> aws(artifact);
            case "azure" -> generic("azure", azure(artifact));
            case "vsphere" -> generic("vsphere", vsphere(artifact));
            case "gcp" -> generic("gcp", gcp(artifact));
            case "maas" -> generic("maas", maas(artifact));
            // A qcow2/raw disk is what OpenStack's image service takes: the pack names it in Glance.
            case "qemu" -> generic("openstack", openstack(artifact));
            case "edge" -> edge(artifact);
            default -> throw new UnpublishablePackException("TARGET_NOT_PUBLISHABLE", BuildFailed.BUILDER, false,
                    "no Palette pack is defined for target cloud '" + cloud + "'");
        };
    }

    private static OsImage generic(String cloudType, String reference) {
        return new OsImage(PackKind.GENERIC_BYOI, cloudType, reference, null, null, List.of());
    }

    /** An AMI only exists in its region: the first region the builder reports is the pack's, the others are listed. */
    private static OsImage aws(ArtifactStored artifact) {
        List<CloudImage> amis = reported(artifact, "aws");
        if (amis.isEmpty()) {
            throw missing(artifact, "an AMI id");
        }
        for (CloudImage ami : amis) {
            if (!AMI_ID.matcher(ami.id()).matches() || ami.region() == null
                    || !AWS_REGION.matcher(ami.region()).matches()) {
                throw invalid(artifact, "AMI '" + ami.id() + "' in region '" + ami.region() + "'",
                        "an AMI id (ami- and 8 or 17 hex digits) with its region, e.g. ami-0f4804aff4cf9c5a2 in us-east-1");
            }
        }
        return new OsImage(PackKind.GENERIC_BYOI, "aws", amis.get(0).id(), null, amis.get(0).region(),
                amis.subList(1, amis.size()));
    }

    /** Palette takes a VHD blob URL, not a gallery image id. */
    private String azure(ArtifactStored artifact) {
        List<CloudImage> reported = reported(artifact, "azure");
        String url;
        if (!reported.isEmpty()) {
            url = reported.get(0).id();
        } else if (settings.azureVhdBaseUrl().isPresent()) {
            url = settings.azureVhdBaseUrl().get().toString().replaceAll("/+$", "") + "/" + artifact.sha256() + ".vhd";
        } else {
            throw new UnpublishablePackException("AZURE_VHD_LOCATION_UNCONFIGURED", BuildFailed.INFRASTRUCTURE, true,
                    "the build reports no VHD blob URL and pack-publisher has no byoos.publisher.targets.azure-vhd-base-url "
                            + "to derive one from; an operator must configure it, then retry the build");
        }
        if (!AZURE_VHD_URL.matcher(url).matches()) {
            throw invalid(artifact, "Azure image '" + url + "'",
                    "an https blob URL of a .vhd, e.g. https://account.blob.core.windows.net/vhds/node.vhd "
                            + "(Palette does not take gallery image ids)");
        }
        return url;
    }

    /**
     * The template path the build reports ({@code [<folder>/]<templateName>}, as the template exists
     * once imported). A path without a folder gets the installation's template folder, when one is
     * set, so that Palette is given the full inventory path; the spec's folder always wins.
     */
    private String vsphere(ArtifactStored artifact) {
        List<CloudImage> reported = reported(artifact, "vsphere");
        if (reported.isEmpty()) {
            throw missing(artifact, "vSphere template path");
        }
        String path = reported.get(0).id();
        if (!VSPHERE_TEMPLATE_PATH.matcher(path).matches()) {
            throw invalid(artifact, "vSphere template '" + path + "'",
                    "a template path of folders and a name of letters, digits, spaces, '(', ')', '.', '_' and '-' "
                            + "(at most 80), "
                            + "e.g. /Datacenter/vm/byoos/rhel-8-kube-v1.30.4; an .ova reference must start with r_u-");
        }
        if (path.contains("/") || settings.vsphereTemplateFolder().isEmpty()) {
            return path;
        }
        String folder = settings.vsphereTemplateFolder().get();
        String inFolder = folder.replaceAll("/+$", "") + "/" + path;
        if (!VSPHERE_TEMPLATE_PATH.matcher(inFolder).matches()) {
            throw new UnpublishablePackException("VSPHERE_TEMPLATE_FOLDER_INVALID", BuildFailed.INFRASTRUCTURE, true,
                    "byoos.publisher.targets.vsphere-template-folder '" + folder + "' is not a vSphere folder path "
                            + "(folders of letters, digits, spaces, '(', ')', '.', '_' and '-', e.g. /Datacenter/vm/byoos); "
                            + "an operator must correct it, then retry the build");
        }
        return inFolder;
    }

    /**
     * GCE images are named per project; the name is derived from the pack so that the image
     * {@code gcloud compute images create} imports from the stored tarball has a predictable name.
     */
    private String gcp(ArtifactStored artifact) {
        List<CloudImage> reported = reported(artifact, "gcp");
        String image = !reported.isEmpty() ? reported.get(0).id()
                : settings.gcpProject().map(project -> "projects/" + project + "/global/images/").orElse("")
                        + imageName(artifact.build().pack(), 63);
        if (!GCE_IMAGE_NAME.matcher(image).matches() && !GCE_IMAGE_PATH.matcher(image).matches()) {
            throw invalid(artifact, "GCP image '" + image + "'",
                    "a GCE image name or projects/<project>/global/images/<name> (lower case, at most 63 characters)");
        }
        return image;
    }

    /** MAAS deploys uploaded root-tgz images as custom boot resources: {@code custom/<name>}. */
    private static String maas(ArtifactStored artifact) {
        List<CloudImage> reported = reported(artifact, "maas");
        String image = !reported.isEmpty() ? reported.get(0).id() : "custom/" + imageName(artifact.build().pack(), 63);
        if (!MAAS_CUSTOM_IMAGE.matcher(image).matches()) {
            throw invalid(artifact, "MAAS image '" + image + "'", "a custom boot resource name, e.g. custom/byoos-rhel-8-1-0-0");
        }
        return image;
    }

    /**
     * The Glance image the stored qcow2/raw disk is imported as: the name the build reports (cloud
     * {@code openstack}), otherwise {@code <pack name>-<version>} sanitised as for GCP.
     */
    private static String openstack(ArtifactStored artifact) {
        List<CloudImage> reported = reported(artifact, "openstack");
        String image = !reported.isEmpty() ? reported.get(0).id() : imageName(artifact.build().pack(), 255);
        if (!GLANCE_IMAGE_NAME.matcher(image).matches()) {
            throw invalid(artifact, "OpenStack image '" + image + "'",
                    "a Glance image name of letters, digits, '.', '_' and '-', e.g. byoos-rhel-8-1-0-0");
        }
        return image;
    }

    private static OsImage edge(ArtifactStored artifact) {
        OciImage image = artifact.ociImage();
        if (image == null) {
            throw missing(artifact, "the Edge OS image in the registry");
        }
        if (!OCI_REFERENCE.matcher(image.reference()).matches() || !OCI_DIGEST.matcher(image.digest()).matches()) {
            throw invalid(artifact, "OCI image '" + image.reference() + "' (" + image.digest() + ")",
                    "host/repository:tag with a sha256 manifest digest");
        }
        return new OsImage(PackKind.EDGE_NATIVE_BYOI, "edge-native", image.reference(), image.digest(), null,
                List.of());
    }

    /** {@code <pack name>-<version>}, lower case, with anything outside {@code [a-z0-9-]} as '-'. */
    static String imageName(BuildCoordinates.Pack pack, int maxLength) {
        String name = (pack.name() + "-" + pack.version()).toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9-]+", "-");
        if (!Character.isLetter(name.charAt(0))) {
            name = "byoos-" + name;
        }
        name = name.length() > maxLength ? name.substring(0, maxLength) : name;
        return name.replaceAll("-+$", "");
    }

    private static List<CloudImage> reported(ArtifactStored artifact, String cloud) {
        return artifact.cloudImages().stream().filter(image -> cloud.equals(image.cloud())).toList();
    }

    private static UnpublishablePackException missing(ArtifactStored artifact, String what) {
        return new UnpublishablePackException("CLOUD_IMAGE_MISSING", BuildFailed.BUILDER, true,
                "the " + artifact.build().target().cloud() + " build reported no " + what
                        + ", so the pack would point Palette at nothing");
    }

    private static UnpublishablePackException invalid(ArtifactStored artifact, String what, String expected) {
        return new UnpublishablePackException("CLOUD_IMAGE_INVALID", BuildFailed.BUILDER, false,
                "the " + artifact.build().target().cloud() + " build reported " + what + "; Palette expects " + expected);
    }
}
