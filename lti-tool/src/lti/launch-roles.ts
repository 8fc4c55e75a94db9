import type { LtiRole } from './lti-sessions.js';

/** LTI role URIs that may author lessons (LIS v2 membership and institution/system admin roles). */
const AUTHOR_ROLES = [
  'http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor',
  'http://purl.imsglobal.org/vocab/lis/v2/membership#ContentDeveloper',
  'http://purl.imsglobal.org/vocab/lis/v2/membership#Administrator',
  'http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator',
  'http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator',
];

/** Instructors and admins author; everyone else (learners, mentors, guests) only watches. */
export const roleOf = (roles: readonly string[]): LtiRole =>
  roles.some((r) => AUTHOR_ROLES.includes(r)) ? 'instructor' : 'learner';
