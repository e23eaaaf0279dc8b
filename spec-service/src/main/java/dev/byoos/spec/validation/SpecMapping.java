package dev.byoos.spec.validation;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

import com.fasterxml.jackson.databind.JsonNode;

import dev.byoos.contract.BuildRequested;
import dev.byoos.spec.model.ImageSpec;

/**
 * Turns an accepted document into an {@link ImageSpec}, filling in every default: the one place a
 * spec's defaults live (the base of a Debian or Ubuntu spec without one, formats and builders per
 * cloud, component versions from the support matrix, file modes and owners, script timeouts, the
 * vSphere template name, the pack's display name). Only documents the schema and the rules
 * accepted reach it, so every value read here is present and well-formed.
 */
final class SpecMapping {

    private final KubernetesSupportMatrix matrix;
    private final DefaultBases defaultBases;

    SpecMapping(KubernetesSupportMatrix matrix, DefaultBases defaultBases) {
        this.matrix = matrix;
        this.defaultBases = defaultBases;
    }

    ImageSpec imageSpec(JsonNode root) {
        JsonNode spec = root.get("spec");
        ImageSpec.OperatingSystem os = os(spec.get("os"));
        BuildRequested.Kubernetes kubernetes = kubernetes(spec.get("kubernetes"));
        String imageType = text(spec, "imageType");
        return new ImageSpec(ImageSpec.API_VERSION, ImageSpec.KIND, metadata(root.get("metadata")),
                new ImageSpec.Spec(os, kubernetes, imageType == null ? BuildRequested.STANDARD : imageType,
                        list(spec.get("targets"), target -> target(target, os, kubernetes)),
                        customizations(spec.get("customizations")), pack(spec.get("pack")),
                        updates(spec.get("updates"))));
    }

    private static ImageSpec.Updates updates(JsonNode node) {
        return node == null || node.isNull() ? null : new ImageSpec.Updates(
                textOr(node, "base", ImageSpec.Updates.NONE),
                textOr(node, "kubernetesPatches", ImageSpec.Updates.NONE));
    }

    private static ImageSpec.Metadata metadata(JsonNode node) {
        Map<String, String> labels = new LinkedHashMap<>();
        node.path("labels").fields().forEachRemaining(label -> labels.put(label.getKey(), label.getValue().asText()));
        return new ImageSpec.Metadata(text(node, "name"), text(node, "team"), Map.copyOf(labels),
                text(node, "description"));
    }

    /** A Debian or Ubuntu spec without a base gets its default one (OsRules refused the others). */
    private ImageSpec.OperatingSystem os(JsonNode node) {
        JsonNode base = node.get("base");
        if (base == null || base.isNull()) {
            return new ImageSpec.OperatingSystem(text(node, "name"), text(node, "version"), new ImageSpec.Base(null,
                    defaultBases.base(text(node, "name"), text(node, "version")).orElseThrow(), null, null));
        }
        JsonNode debootstrap = base.get("debootstrap");
        JsonNode tarball = base.get("tarball");
        JsonNode image = base.get("image");
        return new ImageSpec.OperatingSystem(text(node, "name"), text(node, "version"), new ImageSpec.Base(
                text(base, "local"),
                debootstrap == null ? null
                        : new BuildRequested.Debootstrap(text(debootstrap, "suite"), text(debootstrap, "mirror")),
                tarball == null ? null : new BuildRequested.Tarball(text(tarball, "url"), text(tarball, "sha256")),
                image == null ? null : new ImageSpec.ContainerImage(text(image, "reference"))));
    }

    /** Components the spec leaves out come from the support matrix's row for its release. */
    private BuildRequested.Kubernetes kubernetes(JsonNode node) {
        String version = KubernetesRules.release(text(node, "version"));
        KubernetesSupportMatrix.Components defaults = matrix.componentsFor(version).orElseThrow();
        return new BuildRequested.Kubernetes(version, textOr(node, "containerd", defaults.containerd()),
                textOr(node, "cni", defaults.cni()), textOr(node, "crictl", defaults.crictl()));
    }

    private static ImageSpec.Target target(JsonNode node, ImageSpec.OperatingSystem os,
            BuildRequested.Kubernetes kubernetes) {
        String cloud = text(node, "cloud");
        JsonNode vsphere = node.path("vsphere");
        return new ImageSpec.Target(cloud, textOr(node, "format", TargetRules.defaultFormat(cloud)),
                textOr(node, "builder", TargetRules.defaultBuilder(cloud)),
                cloud.equals("aws") ? new ImageSpec.Aws(list(node.path("aws").get("regions"), JsonNode::asText)) : null,
                cloud.equals("azure") ? new ImageSpec.Azure(text(node.get("azure"), "storageLocation")) : null,
                cloud.equals("vsphere") ? new ImageSpec.Vsphere(text(vsphere, "folder"), textOr(vsphere, "templateName",
                        "r_u-" + os.name() + "-" + os.version().replace(".", "") + "-k-"
                                + kubernetes.version().replace(".", ""))) : null);
    }

    private static ImageSpec.Customizations customizations(JsonNode node) {
        if (node == null) {
            return ImageSpec.Customizations.none();
        }
        // Sorted by key: the stored canonical spec sorts map keys, so every build of it applies them alike.
        Map<String, String> sysctl = new TreeMap<>();
        node.path("sysctl").fields().forEachRemaining(entry -> sysctl.put(entry.getKey(),
                entry.getValue().isBoolean() ? (entry.getValue().asBoolean() ? "1" : "0") : entry.getValue().asText()));
        return new ImageSpec.Customizations(
                list(node.get("packages"), JsonNode::asText),
                list(node.get("files"), file -> new BuildRequested.FileCustomization(text(file, "path"),
                        text(file, "content"), fileMode(text(file, "mode")), textOr(file, "owner", "root:root"))),
                list(node.get("users"), user -> new BuildRequested.User(text(user, "name"),
                        list(user.get("groups"), JsonNode::asText), list(user.get("sshAuthorizedKeys"), JsonNode::asText))),
                sysctl,
                list(node.get("kernelModules"), JsonNode::asText),
                list(node.get("caCertificates"), certificate -> new BuildRequested.CaCertificate(text(certificate, "name"),
                        text(certificate, "pem"))),
                list(node.get("scripts"), script -> new BuildRequested.Script(text(script, "name"),
                        text(script, "stage"), text(script, "content"),
                        CustomizationRules.timeoutSeconds(text(script, "timeout")))));
    }

    private static ImageSpec.Pack pack(JsonNode node) {
        return new ImageSpec.Pack(text(node, "name"), text(node, "version"),
                textOr(node, "displayName", text(node, "name")), text(node, "versionPolicy"));
    }

    /** Four octal digits, as the worker's chmod and the stored spec expect. */
    private static String fileMode(String mode) {
        return mode == null ? "0644" : mode.length() == 3 ? "0" + mode : mode;
    }

    private static <T> List<T> list(JsonNode node, Function<JsonNode, T> item) {
        List<T> values = new ArrayList<>();
        if (node != null) {
            node.forEach(value -> values.add(item.apply(value)));
        }
        return List.copyOf(values);
    }

    /** @return the field's text, or null when it is absent or null (which the schema reads as absent) */
    private static String text(JsonNode node, String field) {
        JsonNode value = node == null ? null : node.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }

    private static String textOr(JsonNode node, String field, String fallback) {
        String value = text(node, field);
        return value == null ? fallback : value;
    }
}
