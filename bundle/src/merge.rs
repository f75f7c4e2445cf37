//! Merging split modules into one wasm module.
//!
//! A module of the split build imports the main module's memory, its function table
//! and its stack pointer, and installs its functions into fixed slots of that table
//! (active element segments); code in other modules reaches them through the table.
//! It has no exports and no start function. So modules merge by concatenation: the
//! imports are shared, each module's types, functions and element segments are
//! renumbered into the merged module's index spaces, and every slot stays where it was.

use std::collections::HashMap;

use wasm_encoder::reencode::{Error as ReencodeError, Reencode, RoundtripReencoder};
use wasm_encoder::{
    CodeSection, DataCountSection, DataSection, ElementSection, FunctionSection, ImportSection, Module,
    TypeSection,
};
use wasmparser::{CompositeInnerType, FuncType, Parser, Payload, TypeRef, Validator};

use crate::BundleError;

/// Merges `modules` (name, bytes) into one module that installs all their functions.
pub fn merge(modules: &[(&str, &[u8])]) -> Result<Vec<u8>, BundleError> {
    let mut merged = Merged::default();
    // Imports first: each module's indices into them are known before its code is read.
    for (name, bytes) in modules {
        merged.read_imports(name, bytes)?;
    }
    for (name, bytes) in modules {
        merged.add(name, bytes)?;
    }
    let out = merged.finish()?;
    Validator::new()
        .validate_all(&out)
        .map_err(|e| BundleError::Wasm(format!("merged module is invalid: {e}")))?;
    Ok(out)
}

/// What the merged module imports, in order, with each entry's index in its space.
#[derive(Default)]
struct Merged {
    imports: Vec<(String, String, TypeRef)>,
    /// (module, name) → index in the import's space (table, memory, global).
    import_index: HashMap<(String, String), u32>,
    counts: Counts,
    types: TypeSection,
    type_index: HashMap<FuncType, u32>,
    functions: FunctionSection,
    defined_functions: u32,
    elements: ElementSection,
    element_count: u32,
    code: CodeSection,
    data: DataSection,
    data_count: u32,
    /// Whether an input declared its data count (it uses `memory.init` or `data.drop`).
    needs_data_count: bool,
}

/// How many imports of each kind the merged module has (no functions: the split
/// build's modules import none, and one that did is refused).
#[derive(Default, Clone, Copy)]
struct Counts {
    tables: u32,
    memories: u32,
    globals: u32,
}

impl Merged {
    fn read_imports(&mut self, name: &str, bytes: &[u8]) -> Result<(), BundleError> {
        for payload in Parser::new(0).parse_all(bytes) {
            let Payload::ImportSection(section) = payload.map_err(|e| wasm_error(name, e))? else {
                continue;
            };
            for import in section.into_imports() {
                let import = import.map_err(|e| wasm_error(name, e))?;
                let key = (import.module.to_owned(), import.name.to_owned());
                if let Some(&index) = self.import_index.get(&key) {
                    let same = self
                        .imports
                        .iter()
                        .any(|(m, n, ty)| (m, n) == (&key.0, &key.1) && *ty == import.ty);
                    if !same {
                        return Err(BundleError::Wasm(format!(
                            "{name}: import {}.{} (#{index}) differs from another module's",
                            key.0, key.1
                        )));
                    }
                    continue;
                }
                let counter = match import.ty {
                    TypeRef::Func(_) | TypeRef::FuncExact(_) => {
                        return Err(unsupported(name, "imports a function"));
                    }
                    TypeRef::Table(_) => &mut self.counts.tables,
                    TypeRef::Memory(_) => &mut self.counts.memories,
                    TypeRef::Global(_) => &mut self.counts.globals,
                    TypeRef::Tag(_) => return Err(unsupported(name, "imports a tag")),
                };
                self.import_index.insert(key.clone(), *counter);
                *counter += 1;
                self.imports.push((key.0, key.1, import.ty));
            }
        }
        Ok(())
    }

    fn add(&mut self, name: &str, bytes: &[u8]) -> Result<(), BundleError> {
        let mut remap = Remap::default();
        for payload in Parser::new(0).parse_all(bytes) {
            match payload.map_err(|e| wasm_error(name, e))? {
                Payload::Version { .. } | Payload::End(_) | Payload::CodeSectionStart { .. } => {}
                // Names and producers are for debugging; the release chunks carry none.
                Payload::CustomSection(_) => {}
                Payload::TypeSection(section) => {
                    for group in section {
                        let group = group.map_err(|e| wasm_error(name, e))?;
                        if group.is_explicit_rec_group() {
                            return Err(unsupported(name, "has a recursive type group"));
                        }
                        for sub in group.into_types() {
                            let CompositeInnerType::Func(func) = sub.composite_type.inner else {
                                return Err(unsupported(name, "has a type that is not a function's"));
                            };
                            remap.types.push(self.type_for(&func)?);
                        }
                    }
                }
                Payload::ImportSection(section) => {
                    for import in section.into_imports() {
                        let import = import.map_err(|e| wasm_error(name, e))?;
                        let key = (import.module.to_owned(), import.name.to_owned());
                        let Some(&index) = self.import_index.get(&key) else {
                            return Err(unsupported(name, "has an import its import section did not list"));
                        };
                        match import.ty {
                            TypeRef::Table(_) => remap.tables.push(index),
                            TypeRef::Memory(_) => remap.memories.push(index),
                            TypeRef::Global(_) => remap.globals.push(index),
                            _ => {
                                return Err(unsupported(
                                    name,
                                    "imports something other than a table, memory or global",
                                ));
                            }
                        }
                    }
                }
                Payload::FunctionSection(section) => {
                    for ty in section {
                        let ty = ty.map_err(|e| wasm_error(name, e))?;
                        let ty = remap.type_index(ty).map_err(|e| reencode_error(name, e))?;
                        self.functions.function(ty);
                        remap.functions.push(self.defined_functions);
                        self.defined_functions += 1;
                    }
                }
                Payload::ElementSection(section) => {
                    remap.element_base = self.element_count;
                    for element in section {
                        let element = element.map_err(|e| wasm_error(name, e))?;
                        remap
                            .parse_element(&mut self.elements, element)
                            .map_err(|e| reencode_error(name, e))?;
                        self.element_count += 1;
                    }
                }
                Payload::CodeSectionEntry(body) => {
                    remap
                        .parse_function_body(&mut self.code, body)
                        .map_err(|e| reencode_error(name, e))?;
                }
                Payload::TableSection(_) => return Err(unsupported(name, "defines a table")),
                Payload::MemorySection(_) => return Err(unsupported(name, "defines a memory")),
                Payload::GlobalSection(_) => return Err(unsupported(name, "defines a global")),
                Payload::ExportSection(_) => return Err(unsupported(name, "has exports")),
                Payload::StartSection { .. } => return Err(unsupported(name, "has a start function")),
                Payload::DataCountSection { .. } => self.needs_data_count = true,
                // Active segments write the main module's memory when the module is
                // instantiated: see `has_data` for why such a module is loaded once.
                Payload::DataSection(section) => {
                    remap.data_base = self.data_count;
                    for data in section {
                        let data = data.map_err(|e| wasm_error(name, e))?;
                        remap
                            .parse_data(&mut self.data, data)
                            .map_err(|e| reencode_error(name, e))?;
                        self.data_count += 1;
                    }
                }
                _ => return Err(unsupported(name, "has a section this tool does not merge")),
            }
        }
        Ok(())
    }

    /// The merged module's index of a function type, added on first use.
    fn type_for(&mut self, func: &FuncType) -> Result<u32, BundleError> {
        if let Some(&index) = self.type_index.get(func) {
            return Ok(index);
        }
        let mut plain = RoundtripReencoder;
        let ty = plain
            .func_type(func.clone())
            .map_err(|e| BundleError::Wasm(format!("function type: {e}")))?;
        self.types.ty().func_type(&ty);
        let index = self.type_index.len() as u32;
        self.type_index.insert(func.clone(), index);
        Ok(index)
    }

    fn finish(self) -> Result<Vec<u8>, BundleError> {
        let mut imports = ImportSection::new();
        let mut plain = RoundtripReencoder;
        for (module, name, ty) in &self.imports {
            // Tables, memories and globals carry no indices, so they re-encode as they are.
            let ty = plain
                .entity_type(*ty)
                .map_err(|e| BundleError::Wasm(format!("import {module}.{name}: {e}")))?;
            imports.import(module, name, ty);
        }
        let mut module = Module::new();
        module.section(&self.types);
        module.section(&imports);
        module.section(&self.functions);
        module.section(&self.elements);
        if self.needs_data_count {
            module.section(&DataCountSection {
                count: self.data_count,
            });
        }
        module.section(&self.code);
        if self.data_count > 0 {
            module.section(&self.data);
        }
        Ok(module.finish())
    }
}

/// One input module's indices → the merged module's.
#[derive(Default)]
struct Remap {
    types: Vec<u32>,
    functions: Vec<u32>,
    tables: Vec<u32>,
    memories: Vec<u32>,
    globals: Vec<u32>,
    element_base: u32,
    data_base: u32,
}

#[derive(Debug)]
struct OutOfRange(&'static str, u32);

impl std::fmt::Display for OutOfRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} index {} is out of range", self.0, self.1)
    }
}

fn lookup(table: &[u32], kind: &'static str, index: u32) -> Result<u32, ReencodeError<OutOfRange>> {
    table
        .get(index as usize)
        .copied()
        .ok_or(ReencodeError::UserError(OutOfRange(kind, index)))
}

impl Reencode for Remap {
    type Error = OutOfRange;

    fn type_index(&mut self, ty: u32) -> Result<u32, ReencodeError<OutOfRange>> {
        lookup(&self.types, "type", ty)
    }
    fn function_index(&mut self, func: u32) -> Result<u32, ReencodeError<OutOfRange>> {
        lookup(&self.functions, "function", func)
    }
    fn table_index(&mut self, table: u32) -> Result<u32, ReencodeError<OutOfRange>> {
        lookup(&self.tables, "table", table)
    }
    fn memory_index(&mut self, memory: u32) -> Result<u32, ReencodeError<OutOfRange>> {
        lookup(&self.memories, "memory", memory)
    }
    fn global_index(&mut self, global: u32) -> Result<u32, ReencodeError<OutOfRange>> {
        lookup(&self.globals, "global", global)
    }
    fn element_index(&mut self, element: u32) -> Result<u32, ReencodeError<OutOfRange>> {
        Ok(self.element_base + element)
    }
    fn data_index(&mut self, data: u32) -> Result<u32, ReencodeError<OutOfRange>> {
        Ok(self.data_base + data)
    }
}

/// Whether a module writes memory when it is instantiated (an active data segment, such
/// as a static's initial value). Such a module must be instantiated once only: a second
/// time would put the initial value back over whatever the program has stored there.
pub fn has_data(name: &str, bytes: &[u8]) -> Result<bool, BundleError> {
    for payload in Parser::new(0).parse_all(bytes) {
        if let Payload::DataSection(section) = payload.map_err(|e| wasm_error(name, e))?
            && section.count() > 0
        {
            return Ok(true);
        }
    }
    Ok(false)
}

fn wasm_error(name: &str, e: wasmparser::BinaryReaderError) -> BundleError {
    BundleError::Wasm(format!("{name}: {e}"))
}

fn reencode_error(name: &str, e: ReencodeError<OutOfRange>) -> BundleError {
    BundleError::Wasm(format!("{name}: {e}"))
}

fn unsupported(name: &str, what: &str) -> BundleError {
    BundleError::Wasm(format!(
        "{name} {what}: not a module of the split build as this tool knows it"
    ))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use wasm_encoder::{
        ConstExpr, Elements, EntityType, Function, GlobalType, Instruction, MemoryType, RefType, TableType,
        ValType,
    };

    /// A module as the split build makes them: shared imports, `count` functions that
    /// each call the next one directly and the slot before `slot` through the table, and
    /// one active segment putting them at `slot`.
    pub(crate) fn chunk(slot: u32, count: u32, extra_type: bool) -> Vec<u8> {
        let mut types = TypeSection::new();
        if extra_type {
            types.ty().function([ValType::F64], [ValType::F64]);
        }
        types.ty().function([ValType::I32], [ValType::I32]);
        let ty = u32::from(extra_type);
        let mut imports = ImportSection::new();
        imports.import(
            "__wasm_split",
            "memory",
            MemoryType {
                minimum: 18,
                maximum: None,
                memory64: false,
                shared: false,
                page_size_log2: None,
            },
        );
        imports.import(
            "__wasm_split",
            "__indirect_function_table",
            TableType {
                element_type: RefType::FUNCREF,
                minimum: 100,
                maximum: None,
                table64: false,
                shared: false,
            },
        );
        imports.import(
            "__wasm_split",
            "__wasm_split_shared0",
            EntityType::Global(GlobalType {
                val_type: ValType::I32,
                mutable: true,
                shared: false,
            }),
        );
        let mut functions = FunctionSection::new();
        let mut code = CodeSection::new();
        for i in 0..count {
            functions.function(ty);
            let mut f = Function::new([]);
            f.instruction(&Instruction::LocalGet(0));
            if i + 1 < count {
                f.instruction(&Instruction::Call(i + 1));
            }
            f.instruction(&Instruction::I32Const((slot - 1) as i32));
            f.instruction(&Instruction::CallIndirect {
                type_index: ty,
                table_index: 0,
            });
            f.instruction(&Instruction::GlobalGet(0));
            f.instruction(&Instruction::I32Load(wasm_encoder::MemArg {
                offset: 0,
                align: 2,
                memory_index: 0,
            }));
            f.instruction(&Instruction::I32Add);
            f.instruction(&Instruction::End);
            code.function(&f);
        }
        let mut elements = ElementSection::new();
        let funcs: Vec<u32> = (0..count).collect();
        elements.active(
            None,
            &ConstExpr::i32_const(slot as i32),
            Elements::Functions(funcs.into()),
        );
        let mut module = Module::new();
        module
            .section(&types)
            .section(&imports)
            .section(&functions)
            .section(&elements)
            .section(&code);
        module.finish()
    }

    /// Each active segment's offset and the functions it installs.
    fn segments(bytes: &[u8]) -> Vec<(i32, Vec<u32>)> {
        let mut out = Vec::new();
        for payload in Parser::new(0).parse_all(bytes) {
            if let Ok(Payload::ElementSection(section)) = payload {
                for element in section {
                    let element = element.unwrap();
                    let wasmparser::ElementKind::Active { offset_expr, .. } = element.kind else {
                        panic!("not active")
                    };
                    let Some(Ok(wasmparser::Operator::I32Const { value })) =
                        offset_expr.get_operators_reader().into_iter().next()
                    else {
                        panic!("offset")
                    };
                    let wasmparser::ElementItems::Functions(funcs) = element.items else {
                        panic!("items")
                    };
                    out.push((value, funcs.into_iter().map(Result::unwrap).collect()));
                }
            }
        }
        out
    }

    /// The direct calls in each function body, in order.
    fn calls(bytes: &[u8]) -> Vec<Vec<u32>> {
        let mut out = Vec::new();
        for payload in Parser::new(0).parse_all(bytes) {
            if let Ok(Payload::CodeSectionEntry(body)) = payload {
                let mut calls = Vec::new();
                for op in body.get_operators_reader().unwrap() {
                    if let wasmparser::Operator::Call { function_index } = op.unwrap() {
                        calls.push(function_index);
                    }
                }
                out.push(calls);
            }
        }
        out
    }

    #[test]
    fn merged_modules_share_imports_and_keep_every_slot() {
        let a = chunk(10, 2, false);
        let b = chunk(40, 3, true);
        let merged = merge(&[("a", &a), ("b", &b)]).unwrap();
        // One memory, one table, one global: a second memory would not even validate.
        let mut imports = 0;
        for payload in Parser::new(0).parse_all(&merged) {
            if let Ok(Payload::ImportSection(s)) = payload {
                imports += s.into_imports().count();
            }
        }
        assert_eq!(imports, 3);
        // a's functions keep their slots at 10, b's (renumbered after a's) at 40.
        assert_eq!(segments(&merged), vec![(10, vec![0, 1]), (40, vec![2, 3, 4])]);
        // b's direct calls point at b's own functions in their new places.
        assert_eq!(calls(&merged), vec![vec![1], vec![], vec![3], vec![4], vec![]]);
    }

    #[test]
    fn a_static_s_initial_value_is_kept_and_marks_the_module() {
        let plain = chunk(10, 1, false);
        let mut with_data = Module::new();
        let mut data = DataSection::new();
        data.active(0, &ConstExpr::i32_const(1024), [0xd4, 0, 0, 0]);
        // A chunk with a static: the same module as `chunk` makes, plus its data segment.
        for payload in Parser::new(0).parse_all(&chunk(20, 1, false)) {
            if let Ok(Payload::End(_)) = payload {
                break;
            }
            if let Ok(payload) = payload
                && let Some((id, range)) = payload.as_section()
            {
                with_data.section(&wasm_encoder::RawSection {
                    id,
                    data: &chunk(20, 1, false)[range],
                });
            }
        }
        with_data.section(&data);
        let with_data = with_data.finish();
        assert!(!has_data("plain", &plain).unwrap());
        assert!(has_data("static", &with_data).unwrap());
        let merged = merge(&[("plain", &plain), ("static", &with_data)]).unwrap();
        assert!(has_data("merged", &merged).unwrap());
        assert!(merged.windows(4).any(|w| w == [0xd4, 0, 0, 0]));
    }

    #[test]
    fn function_types_are_shared_between_modules() {
        let merged = merge(&[("a", &chunk(10, 1, false)), ("b", &chunk(20, 1, true))]).unwrap();
        let mut types = 0;
        for payload in Parser::new(0).parse_all(&merged) {
            if let Ok(Payload::TypeSection(s)) = payload {
                types += s.into_iter().count();
            }
        }
        assert_eq!(types, 2, "(i32) -> i32 once, (f64) -> f64 once");
    }

    #[test]
    fn a_module_unlike_the_split_builds_is_refused() {
        let mut module = Module::new();
        let mut exports = wasm_encoder::ExportSection::new();
        let mut memories = wasm_encoder::MemorySection::new();
        memories.memory(MemoryType {
            minimum: 1,
            maximum: None,
            memory64: false,
            shared: false,
            page_size_log2: None,
        });
        exports.export("memory", wasm_encoder::ExportKind::Memory, 0);
        module.section(&memories).section(&exports);
        let error = merge(&[("odd", &module.finish())]).unwrap_err();
        assert!(error.to_string().contains("odd defines a memory"), "{error}");
    }

    #[test]
    fn differing_imports_of_one_name_are_refused() {
        let a = chunk(10, 1, false);
        let mut types = TypeSection::new();
        types.ty().function([], []);
        let mut imports = ImportSection::new();
        imports.import(
            "__wasm_split",
            "memory",
            MemoryType {
                minimum: 1,
                maximum: None,
                memory64: false,
                shared: false,
                page_size_log2: None,
            },
        );
        let mut module = Module::new();
        module.section(&types).section(&imports);
        let error = merge(&[("a", &a), ("b", &module.finish())]).unwrap_err();
        assert!(error.to_string().contains("differs"), "{error}");
    }
}
