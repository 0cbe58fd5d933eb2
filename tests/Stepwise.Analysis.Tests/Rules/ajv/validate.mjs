// Validates config files against the published schemas with ajv (draft-07, strict) after parsing them with js-yaml
// (YAML 1.2 core schema, as yaml-language-server reads them). Independent of Stepwise's own readers.
// Usage: node validate.mjs SCHEMA_DIR DIALECT=FILE...   (exit 0 when every file is valid, 1 otherwise)
import fs from "node:fs";
import path from "node:path";
import Ajv from "ajv";
import yaml from "js-yaml";

const [schemaDir, ...pairs] = process.argv.slice(2);
const ajv = new Ajv({ strict: true, allowUnionTypes: true, allErrors: true });
ajv.addVocabulary(["deprecationMessage", "markdownDescription"]); // editor extensions our schemas carry
const validators = new Map();
for (const f of fs.readdirSync(schemaDir).filter((f) => f.endsWith(".schema.json"))) {
  const schema = JSON.parse(fs.readFileSync(path.join(schemaDir, f), "utf8"));
  validators.set(f.replace(".schema.json", ""), ajv.compile(schema)); // compile checks the schema against draft-07
}
// JSON with // and /* */ comments (JSONC, as editors accept it): drop comments outside strings.
function stripComments(text) {
  let out = "", inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) { out += c; if (c === "\\") { out += text[++i] ?? ""; } else if (c === '"') inString = false; continue; }
    if (c === '"') { inString = true; out += c; continue; }
    if (c === "/" && text[i + 1] === "/") { while (i < text.length && text[i] !== "\n") i++; out += "\n"; continue; }
    if (c === "/" && text[i + 1] === "*") { i += 2; while (i < text.length && !(text[i] === "*" && text[i + 1] === "/")) i++; i++; continue; }
    out += c;
  }
  return out;
}

let bad = 0;
for (const pair of pairs) {
  const eq = pair.indexOf("=");
  const dialect = pair.slice(0, eq), file = pair.slice(eq + 1);
  const validate = validators.get(dialect);
  if (!validate) { console.log(`not ok ${file}: no schema for ${dialect}`); bad++; continue; }
  const text = fs.readFileSync(file, "utf8");
  let data;
  try { data = file.endsWith(".json") ? JSON.parse(stripComments(text)) : yaml.load(text); }
  catch (e) { console.log(`not ok ${dialect} ${file}: cannot parse: ${e.message}`); bad++; continue; }
  if (validate(data)) console.log(`ok ${dialect} ${file}`);
  else {
    bad++;
    console.log(`not ok ${dialect} ${file}: ` + validate.errors.map((e) => `${e.instancePath} ${e.message}`).join("; "));
  }
}
console.log(`# schemas ${validators.size}, files ${pairs.length}, invalid ${bad}`);
process.exit(bad === 0 ? 0 : 1);
