//! Generates `ui/src/commands.ts` from the command functions themselves: for every command of the one
//! list (`command_names.rs`), the arguments the window sends (named as Tauri names them, in camelCase;
//! the state, app handle and window it injects left out; a raw request body as bytes) and the result
//! (a `CmdResult<T>`'s `T`, `()` as `null`). `ui/src/api.ts` calls through these types, so a wrapper whose
//! argument name, argument type or result differs from the function fails the UI's type-check. A test
//! fails when the committed file is stale; `ZOUFANG_UPDATE_BINDINGS=1 cargo test -p zoufang-app bindings`
//! rewrites it with `bindings.ts`.

use std::collections::BTreeSet;
use syn::{FnArg, GenericArgument, Item, PathArguments, ReturnType, Type};

/// The source of a module holding commands.
fn source(module: &str) -> &'static str {
    match module {
        "commands" => include_str!("commands.rs"),
        "export_commands" => include_str!("export_commands.rs"),
        "inspection_commands" => include_str!("inspection_commands.rs"),
        "key_commands" => include_str!("key_commands.rs"),
        "enrolment_commands" => include_str!("enrolment_commands.rs"),
        other => panic!("command_types.rs does not know the module {other}: add it to `source`"),
    }
}

/// What a Rust argument or result type is in TypeScript; `names` collects the generated types used.
fn ts(ty: &Type, names: &mut BTreeSet<String>) -> String {
    match ty {
        Type::Reference(r) => ts(&r.elem, names),
        Type::Tuple(t) if t.elems.is_empty() => "null".into(),
        Type::Path(p) => {
            let seg = p.path.segments.last().expect("a type has a name");
            let args: Vec<&Type> = match &seg.arguments {
                PathArguments::AngleBracketed(a) => a
                    .args
                    .iter()
                    .filter_map(|g| match g {
                        GenericArgument::Type(t) => Some(t),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            let name = seg.ident.to_string();
            match (name.as_str(), args.as_slice()) {
                ("String" | "str" | "Uuid" | "PathBuf" | "NaiveDate", []) => "string".into(),
                ("bool", []) => "boolean".into(),
                (
                    "u8" | "u16" | "u32" | "u64" | "usize" | "i8" | "i16" | "i32" | "i64" | "isize" | "f32" | "f64",
                    [],
                ) => "number".into(),
                ("Value", []) => {
                    names.insert("JsonValue".into());
                    "JsonValue".into()
                }
                ("Option", [t]) => format!("{} | null", ts(t, names)),
                ("Vec", [t]) => format!("Array<{}>", ts(t, names)),
                ("Map" | "HashMap" | "BTreeMap", [_, v]) => format!("{{ [key in string]?: {} }}", ts(v, names)),
                ("CmdResult", [t]) | ("Result", [t, _]) => ts(t, names),
                (_, []) => {
                    names.insert(name.clone());
                    name
                }
                _ => panic!("command_types.rs cannot name the type {name}<…> in TypeScript"),
            }
        }
        _ => panic!("command_types.rs cannot name a command's argument or result type in TypeScript"),
    }
}

/// Whether an argument is one Tauri injects rather than one the window sends.
fn injected(ty: &Type) -> bool {
    let Type::Path(p) = ty else { return false };
    let last = p.path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default();
    matches!(last.as_str(), "State" | "AppHandle" | "Window" | "WebviewWindow" | "Webview")
}

/// A raw request body (`tauri::ipc::Request`): the window sends bytes.
fn body(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Request"))
}

fn camel(snake: &str) -> String {
    let mut out = String::new();
    let mut up = false;
    for c in snake.chars() {
        if c == '_' {
            up = true;
        } else if up {
            out.extend(c.to_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// One command's arguments and result, in TypeScript.
fn signature(module: &str, name: &str, names: &mut BTreeSet<String>) -> (String, String) {
    let file = syn::parse_file(source(module)).unwrap_or_else(|e| panic!("{module}.rs: {e}"));
    let f = file
        .items
        .iter()
        .find_map(|i| match i {
            Item::Fn(f) if f.sig.ident == name => Some(f),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{module}.rs has no function {name}"));
    let mut fields = Vec::new();
    let mut raw = false;
    for a in &f.sig.inputs {
        let FnArg::Typed(a) = a else { continue };
        if injected(&a.ty) {
            continue;
        }
        if body(&a.ty) {
            raw = true;
            continue;
        }
        let syn::Pat::Ident(id) = &*a.pat else { panic!("{name}: an argument without a plain name") };
        fields.push(format!("{}: {}", camel(&id.ident.to_string()), ts(&a.ty, names)));
    }
    let args = match (raw, fields.is_empty()) {
        (true, true) => "Uint8Array".to_string(),
        (true, false) => panic!("{name}: a raw body and named arguments at once"),
        (false, true) => "null".to_string(),
        (false, false) => format!("{{ {} }}", fields.join(", ")),
    };
    let result = match &f.sig.output {
        ReturnType::Default => "null".to_string(),
        ReturnType::Type(_, t) => ts(t, names),
    };
    (args, result)
}

/// The whole `commands.ts` file.
pub fn typescript() -> String {
    let mut names = BTreeSet::new();
    let mut args = Vec::new();
    let mut results = Vec::new();
    for (module, name) in crate::command_names::COMMAND_PATHS {
        let (a, r) = signature(module, name, &mut names);
        args.push(format!("  {name}: {a}"));
        results.push(format!("  {name}: {r}"));
    }
    let imports: Vec<String> = names.into_iter().collect();
    format!(
        "// Generated from the app's command functions by src-tauri/src/command_types.rs. Do not edit by hand.\n\
         // Regenerate: ZOUFANG_UPDATE_BINDINGS=1 cargo test -p zoufang-app bindings\n\n\
         import type {{ {} }} from './bindings'\n\n\
         /** Each command's arguments as the window sends them: named in camelCase, `null` for none, bytes for\n \
         * a raw request body. */\n\
         export interface CommandArgs {{\n{}\n}}\n\n\
         /** What each command returns. */\n\
         export interface CommandResult {{\n{}\n}}\n\n\
         /** Every command the app's window may invoke (src-tauri/src/command_names.rs). */\n\
         export type Command = keyof CommandArgs\n",
        imports.join(", "),
        args.join("\n"),
        results.join("\n"),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn bindings_of_the_commands_are_current() {
        crate::bindings::assert_current("commands.ts", &super::typescript());
    }

    #[test]
    fn arguments_are_named_as_the_window_sends_them() {
        let mut names = Default::default();
        let (args, result) = super::signature("commands", "problems", &mut names);
        assert_eq!((args.as_str(), result.as_str()), ("{ village: string, openOnly: boolean }", "Array<ProblemItem>"));
        let (args, result) = super::signature("commands", "import_roster", &mut names);
        assert_eq!((args.as_str(), result.as_str()), ("Uint8Array", "ImportResult"));
        let (args, result) = super::signature("commands", "review_problem", &mut names);
        let want = "{ id: string, action: RectificationAction, note: string | null }";
        assert_eq!((args.as_str(), result.as_str()), (want, "null"));
    }
}
