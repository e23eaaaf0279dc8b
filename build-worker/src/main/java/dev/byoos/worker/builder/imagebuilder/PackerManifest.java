package dev.byoos.worker.builder.imagebuilder;

import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.byoos.contract.BuildCompleted.CloudImage;
import dev.byoos.contract.BuildRequested;
import dev.byoos.worker.builder.core.BuildException;
import dev.byoos.worker.builder.format.VsphereTemplatePath;

/**
 * Reads what Packer's manifest post-processor wrote: {@code {"builds": [{"name", "builder_type",
 * "artifact_id", "packer_run_uuid", "custom_data", ...}], "last_run_uuid"}}. Packer appends to an
 * existing manifest, so only the builds of the last run count.
 */
public final class PackerManifest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private PackerManifest() {
    }

    /**
     * @return the images the last run left in the target's cloud: an AMI per region
     *         ({@code artifact_id} {@code us-east-1:ami-0abc,eu-west-1:ami-0def}), the VHD's URL, the
     *         template's path in its folder
     * @throws BuildException (BUILDER) when the manifest is unreadable or names no image
     */
    public static List<CloudImage> cloudImages(String manifest, BuildRequested request) {
        JsonNode root;
        try {
            root = JSON.readTree(manifest);
        } catch (JsonProcessingException e) {
            throw invalid("it is not JSON: " + e.getOriginalMessage());
        }
        JsonNode builds = root == null ? null : root.get("builds");
        if (builds == null || !builds.isArray() || builds.isEmpty()) {
            throw invalid("it lists no builds");
        }
        String lastRun = root.path("last_run_uuid").asText("");
        List<JsonNode> lastRunBuilds = new ArrayList<>();
        builds.forEach(build -> {
            if (build.path("packer_run_uuid").asText("").equals(lastRun)) {
                lastRunBuilds.add(build);
            }
        });
        if (lastRunBuilds.isEmpty()) {
            // A manifest without run ids: the last build listed is the newest.
            lastRunBuilds.add(builds.get(builds.size() - 1));
        }
        String cloud = request.build().target().cloud();
        List<CloudImage> images = new ArrayList<>();
        for (JsonNode build : lastRunBuilds) {
            String artifactId = build.path("artifact_id").asText("").strip();
            if (artifactId.isEmpty()) {
                throw invalid("build '" + build.path("name").asText("?") + "' (" + build.path("builder_type").asText("?")
                        + ") has no artifact_id");
            }
            switch (cloud) {
                case "aws" -> images.addAll(amis(artifactId));
                case "azure" -> images.add(new CloudImage(cloud, request.cloud().azureStorageLocation(), artifactId));
                case "vsphere" -> images.add(VsphereTemplatePath.of(request.cloud().vsphereFolder(), artifactId));
                default -> throw invalid("there is no cloud image for a " + cloud + " target");
            }
        }
        return images;
    }

    /** amazon-ebs names every copy of the AMI: {@code region:ami-id}, comma-separated. */
    private static List<CloudImage> amis(String artifactId) {
        List<CloudImage> amis = new ArrayList<>();
        for (String copy : artifactId.split(",")) {
            int colon = copy.indexOf(':');
            String region = colon < 0 ? "" : copy.substring(0, colon).strip();
            String ami = copy.substring(colon + 1).strip();
            if (region.isEmpty() || !ami.startsWith("ami-")) {
                throw invalid("'" + copy + "' is not region:ami-id");
            }
            amis.add(new CloudImage("aws", region, ami));
        }
        return amis;
    }

    private static BuildException invalid(String why) {
        return new BuildException(BuildException.Kind.BUILDER, "PACKER_MANIFEST_INVALID",
                "image-builder finished, but its Packer manifest names no image: " + why, null);
    }
}
