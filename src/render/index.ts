export { assemble, sourceOf } from "./assemble.js";
export { compileTemplate, RenderError, renderTemplate, type CompiledTemplate, type RenderedEmail } from "./compile-template.js";
export { RenderContext, sampleContext } from "./render-context.js";
export { chooseLocale, splitFrontMatter, TemplateFrontMatter, templateFileName, type TemplateProblem } from "./template-files.js";
