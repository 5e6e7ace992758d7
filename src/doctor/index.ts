export { type Check, type DoctorOptions, runDoctor, screenshotWarning } from './checks.ts';
