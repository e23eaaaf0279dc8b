package dev.byoos.spec.model;

import java.util.List;
import java.util.Map;

/**
 * An image spec ({@code apiVersion: byoos.dev/v1alpha1}, {@code kind: ImageSpec}) after validation
 * and defaulting. Instances are only built from documents that {@code SpecValidator} accepted, so
 * the fields below are present and well-formed. docs/spec-reference.md documents every field.
 */
public record ImageSpec(String apiVersion, String kind, Metadata metadata, Spec spec) {

    public static final String API_VERSION = "byoos.dev/v1alpha1";
    public static final String KIND = "ImageSpec";

    public record Metadata(String name, String team, Map<String, String> labels, String description) {
    }

    public record Spec(OperatingSystem os, Kubernetes kubernetes, List<Target> targets,
            Customizations customizations, Pack pack) {
    }

    public record OperatingSystem(String name, String version, Base base) {
    }

    /** @param local name of a base in the build workers' local base catalog */
    public record Base(String local) {
    }

    /** Kubernetes and the components installed with it; component versions default from the support matrix. */
    public record Kubernetes(String version, String containerd, String cni, String crictl) {
    }

    public record Target(String cloud, String format) {
    }

    public record Customizations(List<FileCustomization> files) {
    }

    public record FileCustomization(String path, String content, String mode) {
    }

    public record Pack(String name, String version, String displayName) {
    }
}
