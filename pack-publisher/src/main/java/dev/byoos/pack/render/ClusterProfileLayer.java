package dev.byoos.pack.render;

import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

/**
 * The OS layer of a Palette cluster profile that uses one published pack version, in the two forms
 * a team pastes: the pack entry of a cluster profile's {@code spec.template.packs} (Palette API)
 * and a Terraform {@code spectrocloud_cluster_profile} {@code pack {}} block with the data sources it
 * needs. The layer names this custom pack, not Palette's public {@code generic-byoi} or
 * {@code edge-native-byoi}: only the custom pack carries the Kubernetes constraint, the schema and
 * the provenance, and its tag is immutable (docs/packs.md, "The cluster-profile layer").
 *
 * @param packName the pack's name in the registry
 * @param version  the pack version (the OCI tag)
 * @param values   the pack's values.yaml, verbatim
 */
public record ClusterProfileLayer(String packName, String version, String values) {

    /** What the team fills in: Palette assigns a registry its uid when the registry is added. */
    public static final String REGISTRY_UID_PLACEHOLDER = "<uid of the BYOOS Factory pack registry in Palette>";
    public static final String REGISTRY_NAME_PLACEHOLDER = "<name of the BYOOS Factory pack registry in Palette>";

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** The entry of {@code spec.template.packs} in a cluster profile create or update request. */
    public Map<String, String> paletteApiLayer() {
        Map<String, String> layer = new LinkedHashMap<>();
        layer.put("name", packName);
        layer.put("tag", version);
        layer.put("type", "spectro");
        layer.put("layer", "os");
        layer.put("registryUid", REGISTRY_UID_PLACEHOLDER);
        layer.put("values", values);
        return layer;
    }

    public String paletteApiLayerJson() {
        try {
            return JSON.writeValueAsString(paletteApiLayer());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The data sources and the {@code pack {}} block. The values come from the pack itself
     * ({@code data.spectrocloud_pack.…values}), which are the values this pack was published with.
     */
    public String terraform() {
        return "data \"spectrocloud_registry\" \"byoos\" {\n"
                + "  name = " + hcl(REGISTRY_NAME_PLACEHOLDER) + "\n"
                + "}\n"
                + "\n"
                + "data \"spectrocloud_pack\" \"byoos_os\" {\n"
                + "  name         = " + hcl(packName) + "\n"
                + "  version      = " + hcl(version) + "\n"
                + "  registry_uid = data.spectrocloud_registry.byoos.id\n"
                + "}\n"
                + "\n"
                + "# The OS layer, inside resource \"spectrocloud_cluster_profile\":\n"
                + "pack {\n"
                + "  name   = data.spectrocloud_pack.byoos_os.name\n"
                + "  tag    = data.spectrocloud_pack.byoos_os.version\n"
                + "  uid    = data.spectrocloud_pack.byoos_os.id\n"
                + "  values = data.spectrocloud_pack.byoos_os.values\n"
                + "}\n";
    }

    /** An HCL string literal: quotes and backslashes escaped, and no {@code ${}} or {@code %{} template. */
    static String hcl(String value) {
        return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"").replace("${", "$${").replace("%{", "%%{")
                .replace("\n", "\\n").replace("\r", "\\r") + "\"";
    }
}
