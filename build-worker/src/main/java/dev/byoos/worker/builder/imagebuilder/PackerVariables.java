package dev.byoos.worker.builder.imagebuilder;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.byoos.contract.BuildRequested;
import dev.byoos.worker.builder.core.BuildException;

/**
 * The Packer variable file a build gives Kubernetes Image Builder (through {@code PACKER_VAR_FILES},
 * which image-builder lists after its own defaults, so these win). Names are image-builder's:
 * {@code packer/config/kubernetes.json}, {@code ansible-args.json} and each provider's
 * {@code packer.json}.
 */
public final class PackerVariables {

    private static final Pattern KUBERNETES_VERSION = Pattern.compile("v?((\\d+)\\.(\\d+))\\.(\\d+)");
    /**
     * Package revision of the community repositories (pkgs.k8s.io), which image-builder installs
     * from: {@code kubeadm=1.30.4-1.1}. RPMs are addressed by version alone.
     */
    static final String DEB_REVISION = "-1.1";

    private PackerVariables() {
    }

    /**
     * @param manifest where Packer's manifest post-processor writes (inside the build's own
     *                 directory: two builds in one checkout must not share image-builder's default)
     */
    public static Map<String, String> of(BuildRequested request, ImageBuilderTarget target, Path manifest) {
        Matcher version = KUBERNETES_VERSION.matcher(request.build().kubernetesVersion());
        if (!version.matches()) {
            throw new BuildException(BuildException.Kind.BAD_INPUT, "INVALID_KUBERNETES_VERSION",
                    "not a Kubernetes version: " + request.build().kubernetesVersion(), null);
        }
        String semver = version.group(1) + "." + version.group(4);
        Map<String, String> variables = new LinkedHashMap<>();
        variables.put("kubernetes_semver", "v" + semver);
        variables.put("kubernetes_series", "v" + version.group(1));
        variables.put("kubernetes_deb_version", semver + DEB_REVISION);
        variables.put("kubernetes_rpm_version", semver);
        BuildRequested.Kubernetes components = request.kubernetes();
        if (components != null) {
            // Without these, image-builder installs its own defaults, not the versions the spec resolved to.
            variables.put("containerd_version", components.containerd());
            variables.put("crictl_version", components.crictl());
            variables.put("kubernetes_cni_semver", "v" + components.cni());
            variables.put("kubernetes_cni_deb_version", components.cni() + DEB_REVISION);
            variables.put("kubernetes_cni_rpm_version", components.cni());
        }
        variables.put("manifest_output", manifest.toString());
        // Installed by image-builder's Ansible roles with the distribution's package manager.
        variables.put("deb".equals(target.family()) ? "extra_debs" : "extra_rpms", String.join(" ", request.packages()));
        BuildRequested.CloudParameters cloud = request.cloud();
        switch (request.build().target().cloud()) {
            case "aws" -> {
                if (cloud.awsRegions().isEmpty()) {
                    throw new BuildException(BuildException.Kind.BAD_INPUT, "MISSING_CLOUD_PARAMETERS",
                            "an AMI needs the regions it is copied to (aws.regions)", null);
                }
                variables.put("aws_region", cloud.awsRegions().get(0));
                variables.put("ami_regions", String.join(",", cloud.awsRegions()));
            }
            case "azure" -> {
                if (cloud.azureStorageLocation() == null) {
                    throw new BuildException(BuildException.Kind.BAD_INPUT, "MISSING_CLOUD_PARAMETERS",
                            "an Azure VHD needs the location it is stored in (azure.storageLocation)", null);
                }
                variables.put("azure_location", cloud.azureStorageLocation());
            }
            case "vsphere" -> {
                if (cloud.vsphereFolder() != null) {
                    variables.put("folder", cloud.vsphereFolder());
                }
                // Palette finds a BYOOS image by its template: the VM is left as one.
                variables.put("convert_to_template", "true");
            }
            default -> {
                // ImageBuilderTarget refused every other cloud already.
            }
        }
        return variables;
    }
}
