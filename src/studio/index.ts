export { startStudio, type StudioReport } from "./start-studio.js";
export { type TemplateWatcher, watchTemplates } from "./watch-templates.js";
