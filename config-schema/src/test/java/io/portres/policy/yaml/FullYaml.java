package io.portres.policy.yaml;

import java.util.HashMap;
import java.util.Map;
import org.snakeyaml.engine.v2.api.ConstructNode;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.Tag;
import org.snakeyaml.engine.v2.resolver.CoreScalarResolver;
import org.snakeyaml.engine.v2.resolver.ScalarResolver;
import org.snakeyaml.engine.v2.schema.Schema;

/**
 * A full YAML 1.2 parser (snakeyaml-engine, test scope only) with the core schema and no merge keys: what an editor
 * or another YAML tool reads from a policy. The tests compare {@link YamlReader} with it, and turn policies into the
 * JSON that {@code policy.schema.json} checks.
 */
public final class FullYaml {
  private static final Schema CORE_NO_MERGE = new Schema() {
    @Override
    public ScalarResolver getScalarResolver() {
      return new CoreScalarResolver(false);
    }

    @Override
    public Map<Tag, ConstructNode> getSchemaTagConstructors() {
      return new HashMap<>();
    }
  };

  private FullYaml() {}

  /** The document's node tree (only composed, nothing constructed), or null for an empty document. */
  public static Node compose(String yaml) {
    return new Compose(LoadSettings.builder().setSchema(CORE_NO_MERGE).build()).composeString(yaml).orElse(null);
  }
}
