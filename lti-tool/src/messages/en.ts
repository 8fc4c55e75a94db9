import { STATUS_CODES } from 'node:http';

/**
 * The tool's English texts, by the page or feature that shows them. `zh.ts` has the same keys;
 * `messages.ts` pairs them for the pages, which pick the reader's language.
 */
export const en = {
  adminPage: {
    renderNodes: 'Render nodes',
    completion: 'Completion',
    lmsPlatforms: 'LMS platforms',
    dingtalk: 'DingTalk',
    backgroundWork: 'Background work',
    administration: 'Administration',
    signOut: 'Sign out',
  },
  adminRoutes: {
    signIn: 'Sign in',
    virtualTutorAdministration: 'Virtual Tutor administration',
    toolAdministrators: 'Tool administrators',
    userName: 'User name',
    password: 'Password',
    dingtalkOrganisations: 'DingTalk organisations',
    dingtalkOrganisationCorpid: 'DingTalk organisation (CorpId)',
    signInWithDingtalk: 'Sign in with DingTalk',
    wrongUserNameOrPassword: 'Wrong user name or password.',
    tooManyFailedSignIns: (minutes: number) =>
      `Too many failed sign-ins: this account is locked for ${minutes} more minutes.`,
    tooManySignInAttempts: (minutes: number) =>
      `Too many sign-in attempts from this address: try again in ${minutes} minutes.`,
    theSignInIsBusy: 'The sign-in is busy; try again in a few seconds.',
    renderNodes: 'Render nodes',
    liveNodes: (length: number) => `${length} live (a node disappears 15 s after its last heartbeat).`,
    node: 'Node',
    host: 'Host',
    engines: 'Engines',
    jobsAtATime: 'Jobs at a time',
    renderingNow: 'Rendering now',
    version: 'Version',
    lastHeartbeat: 'Last heartbeat',
  },
  app: {
    tooManyRegistrationAttemptsFrom: 'Too many registration attempts from this address.',
  },
  backgroundAdmin: {
    waiting: 'Waiting',
    active: 'Active',
    delayed: 'Delayed',
    failed: 'Failed',
    completedKept: 'Completed (kept)',
    backgroundWork: 'Background work',
    everyQueueItsJobsBy:
      'Every queue, its jobs by state, and the outbox rows behind it. The jobs themselves are in',
    queue: 'Queue',
    outbox: 'Outbox',
  },
  cookieProbe: {
    openTheLessonInA: 'Open the lesson in a new window',
    yourBrowserBlocksTheCookies:
      'Your browser blocks the cookies this lesson needs inside the course page. In a window of its own it works.',
    openInANewWindow: 'Open in a new window',
  },
  dashboardRoutes: {
    theCourseRosterCouldNot: (message: string) =>
      `The course roster could not be fetched from the LMS (${message}); learners who have not started may be missing.`,
    completion: 'Completion',
  },
  dashboardView: {
    notStarted: 'Not started',
    inProgress: 'In progress',
    completed: 'Completed',
    sentMoodleShowsAGrade: 'Sent (Moodle shows a grade once completed)',
    delivered: 'Delivered',
    pending: 'Pending',
    failed: 'Failed',
    noGrade: '—',
    completion: 'Completion',
    filters: 'Filters',
    lesson: 'Lesson',
    allLessons: 'All lessons',
    state: 'State',
    all: 'All',
    gradebook: 'Gradebook',
    learner: 'Learner',
    filter: 'Filter',
    exportCsv: 'Export CSV',
    ofCompleted: (completed: number, length: number) => `${completed} of ${length} completed.`,
    refusedGrades: 'Refused grades',
    theLmsRefusedGradeS: (refused: number) =>
      `The LMS refused ${refused} grade(s); each row says why. Once the cause is fixed, send them again.`,
    resendAllRefusedGrades: 'Resend all refused grades',
    learners: 'Learners',
    course: 'Course',
    watched: 'Watched',
    completedAt: 'Completed at',
    lastWatched: 'Last watched',
    resend: 'Resend',
    completionsOverTime: 'Completions over time',
    noCompletionsYet: 'No completions yet.',
    day: 'Day',
    completedTotal: 'Completed (total)',
    refusedGradeSSentAgain: (n: number) =>
      `${n} refused grade(s) sent again; the Gradebook column shows how the LMS answers.`,
    noRefusedGradesToSend: 'No refused grades to send.',
    questions: 'Questions',
    grade: 'Grade',
  },
  lessonInsightsView: {
    engagement: 'Engagement',
    engagementSummary: (learners: number) =>
      `How many of the ${learners} learner(s) watched each second of the lesson, and how many went back to it: a falling line is where learners drop off.`,
    noWatchingYet: 'Nobody has watched this lesson yet.',
    time: 'Time',
    audience: 'Watched',
    rewatched: 'Watched again',
    questionStatistics: 'Questions',
    question: 'Question',
    at: 'At',
    answered: 'Learners who answered',
    rightFirstTime: 'Right first time',
    rightInTheEnd: 'Right in the end',
    commonWrong: 'Most chosen wrong answer',
    medianTime: 'Median time to answer',
    seconds: (s: number) => `${s} s`,
    answers: 'Answers',
    learner: 'Learner',
    right: (attempts: number) => `Right (attempt ${attempts})`,
    wrong: (attempts: number) => `Wrong (${attempts} attempt(s))`,
    notAnswered: '—',
  },
  deepLinkingRoutes: {
    returningToTheCourse: 'Returning to the course…',
    continueLabel: 'Continue',
  },
  dingtalkAdmin: {
    checkTheForm: 'Check the form.',
    assignedReachedTheirWorkNotices: (assignees: number) =>
      `Assigned: ${assignees === 1 ? '1 more person' : `${assignees} more people`} reached; their work notices are on the way.`,
  },
  dingtalkAdminPages: {
    whyPersonByPerson:
      'Notices go person by person, 100 to a send, about 2 calls per 100 people (the send and its result). DingTalk could send to a whole department in one call, but then it reports nobody’s delivery, and past 5,000 people a minute it drops the rest without a word: a large department would lose notices, and the dashboard could not say who has one.',
    eventsReachTheTool: 'How DingTalk’s events reach the tool',
    streamMode:
      'Stream mode (recommended: the tool opens the connection; no public URL, token or aes_key needed)',
    httpPush: 'HTTP push (DingTalk calls the event URL below with the token and aes_key)',
    apiCallsThisMonth: 'DingTalk API calls this month',
    callsUsed: (month: string, calls: number, quota: number) =>
      `${month}: ${calls.toLocaleString('en')} of ${quota.toLocaleString('en')} calls used by this tool`,
    quotaTight: (left: number) =>
      `Only about ${left.toLocaleString('en')} calls are left this month: learners no longer get a notice when they complete a lesson (your daily summary lists them), so assignments can still go out.`,
    quotaUsedUp: (until: string) =>
      `DingTalk refuses further calls this month: notices wait until the quota renews (${until}).`,
    quotaExplained:
      'A standard-edition DingTalk organisation may make 5,000 calls a month to APIs that count, across all its apps; work notices count (sending one, and reading its result), sign-ins and the directory do not. This meter counts this tool’s calls only.',
    signedIn: 'Signed in',
    signedInContinue: 'Signed in — continue',
    signInRefused: 'Sign-in refused',
    dingtalkDidNotConfirmYou: 'DingTalk did not confirm you as an administrator of a connected organisation.',
    problem: 'Problem',
    backToSignIn: 'Back to sign-in',
    dingtalkOrganisations: 'DingTalk organisations',
    checkTheseFields: 'Check these fields',
    disconnectItsAssignmentsAndUnsent: (name: string) =>
      `Disconnect ${name}: its assignments and unsent notices are deleted, watch records stay`,
    disconnect: 'Disconnect',
    connectAnOrganisation: 'Connect an organisation',
    corpid: 'CorpId',
    name: 'Name',
    tenantWhoseLessonsItSees: 'Tenant (whose lessons it sees)',
    appkeyClientId: 'AppKey (Client ID)',
    appsecret: 'AppSecret',
    agentid: 'AgentId',
    eventSubscriptionTokenOptional: 'Event subscription token (optional)',
    eventSubscriptionAesKeyOptional: 'Event subscription aes_key (optional)',
    adminsDingtalkUserIdsComma: 'Admins (DingTalk user ids, comma separated)',
    save: 'Save',
    wholeOrganisation: 'Whole organisation',
    dingtalk: 'DingTalk',
    assignALesson: 'Assign a lesson',
    lesson: 'Lesson',
    departmentsWithTheirSubDepartments: 'Departments (with their sub-departments)',
    dingtalksDepartmentsCouldNotBe: 'DingTalk’s departments could not be read just now.',
    peopleDingtalkUserIdsComma: 'People (DingTalk user ids, comma separated)',
    assignAndNotify: 'Assign and notify',
    noPublishedLessonsYetPublish:
      'No published lessons yet. Publish one from the LMS (Generate avatar lesson), then assign it here.',
    assignments: 'Assignments',
    assignedTo: 'Assigned to',
    department: 'Department',
    people: 'People',
    notified: 'Notified',
    notDelivered: 'Not delivered',
    completed: 'Completed',
    nothingAssignedYet: 'Nothing assigned yet.',
    completionDashboard: 'Completion dashboard',
  },
  dingtalkPage: {
    thisDingtalkOrganisationIsNot:
      'This DingTalk organisation is not connected to Virtual Tutor. Ask your administrator to connect it.',
    thisLessonDoesNotExist: 'This lesson does not exist or is no longer published.',
    thisLessonHasNotBeen:
      'This lesson has not been assigned to you. Ask your training administrator if you should take it.',
    dingtalkCouldNotConfirmWho:
      'DingTalk could not confirm who you are (the sign-in code was refused or expired). Close this page and open the lesson again from DingTalk.',
    dingtalkDidNotAnswerJust:
      'DingTalk did not answer just now (it is busy or out of reach), so your sign-in could not be confirmed. Try again in a minute.',
    thisSignInDidNot:
      'This sign-in did not start on this page (or it took too long). Open the lesson again from DingTalk.',
    virtualTutorInDingtalk: 'Virtual Tutor in DingTalk',
    signingYouInWithDingtalk: 'Signing you in with DingTalk…',
    openThisPageInsideThe: 'Open this page inside the DingTalk app: the sign-in works only there.',
    dingtalkDidNotGiveA: 'DingTalk did not give a sign-in code. Close this page and open the lesson again.',
  },
  errorHandler: {
    statusTitle: (status: number) => STATUS_CODES[status] ?? 'Error',
    requestRefused: (code: string, message: string) => `${message} (${code})`,
    somethingWentWrongOnOur: 'Something went wrong on our side. Try again shortly.',
  },
  errorPage: {
    yourBrowserDidNotSend:
      'Your browser did not send back the sign-in cookie. This happens inside a course page when the browser blocks third-party cookies. Ask your LMS administrator to open this tool in a new window (Moodle: Launch container → New window), or allow cookies for this site, then launch again.',
    thisLearningPlatformIsNot:
      'This learning platform is not registered with Virtual Tutor. An administrator must register it first.',
    thisDeploymentOfTheTool:
      'This deployment of the tool is not known to Virtual Tutor. An administrator must add the deployment id.',
    thisLearningPlatformIsRegistered: 'This learning platform is registered but not activated yet.',
    theSignInTookToo:
      'The sign-in took too long and expired. Go back to the course and open the activity again.',
    thisSignInWasAlready: 'This sign-in was already used. Go back to the course and open the activity again.',
    yourSessionHasEndedGo: 'Your session has ended. Go back to the course and open the activity again.',
    onlyTeachersAndAdministratorsCan: 'Only teachers and administrators can create or edit lessons.',
    thisActivityPointsToA: 'This activity points to a lesson that does not exist in this course.',
    registrationWithThePlatformFailed:
      'Registration with the platform failed. The platform must be able to reach this tool, and the tool the platform: Moodle blocks private addresses and every port but 80 and 443 by default (Site administration → Security → HTTP security: cURL blocked hosts and allowed ports).',
    virtualTutorRegistersAPlatform:
      'Virtual Tutor registers a platform only through a one-time registration URL. Ask the tool administrator for one (Virtual Tutor → Admin → LMS platforms → Create registration URL) and paste it into Moodle as the tool URL.',
    thisRegistrationUrlIsNot:
      'This registration URL is not valid: it was already used, it expired, or it was mistyped. Ask the tool administrator for a new one.',
    aSignInFromThe:
      'A sign-in from the learning platform arrived at the wrong address of this tool. Go back to the course and open the activity again.',
    thePlatformStartedTheSign:
      'The platform started the sign-in without the parameters LTI 1.3 requires (iss, login_hint, target_link_uri).',
    theLearningPlatformsSignIn:
      'The learning platform’s sign-in could not be verified, so this page cannot open. Go back to the course and try again; if it keeps happening, give your administrator the reference below.',
    thisPageCannotOpen: 'This page cannot open',
  },
  pageParts: {
    noGpuRenderNodeOnline: 'no GPU render node online',
    noRenderNodeOnline: 'no render node online',
    engine: 'Engine',
    previewFastAnyMachine: 'Preview (fast, any machine)',
    liveAvatarPhotorealGpu: 'Live Avatar (photoreal, GPU)',
    size: 'Size',
    rendering: 'Rendering',
    cancelRender: 'Cancel render',
    scriptMarkdownHeadingsBecomeChapters: 'Script (Markdown: # headings become chapters)',
    language: 'Language',
    speaker: 'Speaker',
    previewSpeech: 'Preview speech',
  },
  platformCheck: {
    noTokenUrlIsRegistered: 'No token URL is registered for this platform.',
    registerThePlatformAgainWith:
      'Register the platform again with its access token URL (Moodle: /mod/lti/token.php).',
    theToolMayNotConnect: (url: string, message: string) => `The tool may not connect to ${url}: ${message}.`,
    thePlatformIsOnA:
      'The platform is on a private address. If that is intended (an LMS on your own network), start the tool with VT_ALLOW_PRIVATE_HOSTS=true.',
    thePlatformsKeysetCouldNot: (url: string, message: string) =>
      `The platform's keyset could not be fetched from ${url}: ${message}.`,
    checkThatTheToolsServer:
      'Check that the tool’s server can reach the LMS (DNS, firewall, proxy) and that the keyset URL is right (Moodle: /mod/lti/certs.php).',
    answered: (url: string, status: number, withoutKeys: boolean) =>
      `${url} answered ${status}${withoutKeys ? ' without keys' : ''}.`,
    checkThePlatformsPublicKeyset: 'Check the platform’s public keyset URL (Moodle: /mod/lti/certs.php).',
    thePlatformsKeysetHasKey: (length: number) => `The platform’s keyset has ${length} key(s).`,
    thePlatformVerifiedOurSigned:
      'The platform verified our signed request (it fetched the tool’s keyset) and gave a service token.',
    tokenRequestFailed: (reason: string) => `The ${reason}.`,
    thePlatformCouldNotFetch: (origin: string, hostname: string, port: string) =>
      `The platform could not fetch the tool’s keyset (${origin}/lti/keys) to verify us. In Moodle: Site administration → General → Security → HTTP security: remove ${hostname} (or the range holding its address) from “cURL blocked hosts list”${['80', '443'].includes(port) ? '' : ` and add ${port} to “cURL allowed ports list”`}; save, then purge caches (Site administration → Development → Purge caches) and check again.`,
    enableGradeServices:
      'In the tool’s settings on the LMS, set “IMS LTI Assignment and Grade Services” to “Use this service for grade sync and column management” and “IMS LTI Names and Role Provisioning” to “Use this service to retrieve members’ information”.',
    thePlatformDoesNotAccept: (origin: string) =>
      `The platform does not accept our signature: check that its client ID for the tool is the one registered here and that its public keyset URL is ${origin}/lti/keys.`,
    theTokenEndpointIsUnreachable:
      'The token endpoint is unreachable or failing: check the token URL (Moodle: /mod/lti/token.php) and that the LMS is up.',
    noCourseHasLaunchedThe: 'No course has launched the tool yet: the roster is checked once one has.',
    theRosterOfHasMember: (name: string, length: number) =>
      `The roster of “${name}” has ${length} member(s).`,
    theRosterOfCouldNot: (name: string, value: string) =>
      `The roster of “${name}” could not be read: ${value}.`,
    enableRosterService:
      'In the tool’s settings on the LMS, set “IMS LTI Names and Role Provisioning” to “Use this service to retrieve members’ information as per privacy settings”, and “Share launcher’s name with tool” to “Always”.',
    notTriedTheStepFailed: (after: string) => `Not tried: the ${after} step failed.`,
  },
  platformCheckView: {
    platformKeyset: 'Platform keyset',
    serviceTokenTheLmsFetches: 'Service token (the LMS fetches our keyset)',
    courseRosterNrps: 'Course roster (NRPS)',
    passed: 'passed',
    failed: 'failed',
    notChecked: 'not checked',
    checkConnection: 'Check connection',
    notCheckedYet: 'Not checked yet.',
    connectionWorks: 'Connection works',
    connectionProblem: 'Connection problem',
    resendAll: 'Resend all',
  },
  platformsAdmin: {
    name: 'Name',
    platformIdIssuer: 'Platform ID (issuer)',
    clientId: 'Client ID',
    authenticationRequestUrl: 'Authentication request URL',
    accessTokenUrl: 'Access token URL',
    publicKeysetUrl: 'Public keyset URL',
    deploymentIdSCommaSeparated: 'Deployment ID(s), comma separated',
    checkItIsMissingOr: (what: string) => `Check “${what}”: it is missing or not valid.`,
    thisPlatformAndClientId: 'This platform and client ID are already registered.',
    refusedGradeSSentAgain: (resent: number) => ` ${resent} refused grade(s) sent again.`,
    theConnectionCheckPassed: 'The connection check passed.',
    theConnectionCheckFoundA: 'The connection check found a problem: see the platform’s steps below.',
    noRefusedGradesToSend: 'No refused grades to send.',
    registeredItsConnectionIsBeing: (added: string) =>
      `Registered ${added}. Its connection is being checked: reload this page in a moment to see the result.`,
    newSigningKeyIsActive: (rotated: string) =>
      `New signing key ${rotated} is active; the previous one stays published during its grace period.`,
    lmsPlatforms: 'LMS platforms',
    noneYet: 'None yet.',
    issuer: 'Issuer',
    registered: 'Registered',
    dynamic: 'dynamic',
    byHand: 'by hand',
    deployments: 'Deployments',
    connection: 'Connection',
    refusedGrades: 'Refused grades',
    registrationUrls: 'Registration URLs',
    moodle41CreateA: (hours: number) =>
      `Moodle 4.1+: create a registration URL, paste it into “Tool URL” (Site administration → Plugins → Activities → External tool → Manage tools) and click “Add LTI Advantage”. Each URL registers one platform, once, within ${hours} h.`,
    newRegistrationUrlShownOnly: 'New registration URL (shown only now; copy it):',
    expires: 'expires',
    createRegistrationUrl: 'Create registration URL',
    recentRegistrationUrls: 'Recent registration URLs',
    created: 'Created',
    by: 'By',
    state: 'State',
    used: (at: string) => `used ${at}`,
    expired: 'expired',
    openUntil: (at: string) => `open until ${at}`,
    valuesForTheLms: 'Values for the LMS',
    forAnLmsWithoutDynamic:
      'For an LMS without dynamic registration: type these in by hand, then register the platform below.',
    registerAPlatformByHand: 'Register a platform by hand',
    register: 'Register',
    signingKeys: 'Signing keys',
    publishedAtLtiKeysA: (publicUrl: string, keyGraceHours: number) =>
      `Published at ${publicUrl}/lti/keys. A rotated-out key stays published for ${keyGraceHours} h.`,
    retired: (at: string, published: boolean) => `retired ${at}${published ? ', still published' : ''}`,
    active: 'active',
    rotateSigningKey: 'Rotate signing key',
  },
  playerPage: {
    editAndReRender: 'Edit and re-render',
    title: 'Title',
    scenePrompt: 'Scene prompt',
    reRender: 'Re-render',
    languageVersions: 'Language versions',
    withdraw: 'Withdraw',
    addTheLessonInAnother:
      'Add the lesson in another language: paste the translated script. The presenter speaks it, with captions; learners choose the language in the player.',
    renderLanguageVersion: 'Render language version',
    newVersion: 'New version',
    publishThisVersion: 'Publish this version',
    publishThisLanguageVersion: 'Publish this language version',
    chapters: 'Chapters',
    language: 'Language',
    original: 'Original',
    yourBrowserCannotPlayThis: 'Your browser cannot play this video.',
    watched: 'Watched',
    completed: 'Completed',
    thisLessonIsNotReady: 'This lesson is not ready yet.',
    renderStatus: 'Render status',
    completionDashboard: 'Completion dashboard',
    question: 'Question',
    yourAnswer: 'Your answer',
    answer: 'Answer',
    continueLesson: 'Continue the lesson',
    skipQuestion: 'Skip this question',
  },
  problemPage: {
    problem: 'Problem',
    reference: 'Reference',
  },
  progressAdmin: {
    completion: 'Completion',
    tenantLmsDeployment: 'Tenant (LMS deployment)',
    show: 'Show',
    noLessonsYet: 'No lessons yet.',
  },
  queues: {
    previewRendersRenderNodesCpu: 'Preview renders (render nodes, CPU)',
    liveAvatarRendersGpuRender: 'Live Avatar renders (GPU render nodes)',
    scoresToTheLmsGradebook: 'Scores to the LMS gradebook (AGS)',
    dingtalkWorkNoticesAndTheir: 'DingTalk work notices and their outcomes',
  },
  rateLimit: {
    tooManyAttempts: 'Too many attempts',
    tryAgainIn: (waitSec: number) => `Try again in ${waitSec} s.`,
  },
  registrationRoutes: {
    aRegistrationUrlForYour: 'A registration URL for your LMS',
    pasteThisPagesUrlInto:
      'Paste this page’s URL into your LMS, not into a browser. Moodle: Site administration → Plugins → Activity modules → External tool → Manage tools → “Tool URL”, then “Add LTI Advantage”. It registers one platform, once.',
    registerVirtualTutor: 'Register Virtual Tutor',
    platformConfiguration: 'Platform configuration',
    registerWithThisPlatform: 'Register with this platform',
    registered: 'Registered',
    virtualTutorIsRegisteredIn:
      'Virtual Tutor is registered. In Moodle, activate the tool (Manage tools → Activate), then add it to a course.',
    theToolNowChecksThe:
      'The tool now checks the connection both ways (Moodle must be able to fetch the tool’s keyset, which its HTTP security blocks by default for private addresses and ports other than 80 and 443); the tool administrator sees the result on the platforms page.',
    oneSettingRegistrationCannotMake:
      'One setting registration cannot make: on the tool’s cog in Manage tools, set “Tool configuration usage” to “Show in activity chooser and as a preconfigured tool”, or teachers will not find “Generate avatar lesson”.',
  },
  studioPage: {
    voice: 'Voice',
    uploadARecording: 'Upload a recording',
    writeAScriptToBe: 'Write a script to be spoken',
    voiceRecording: 'Voice recording',
    transcriptOptionalCaptionsTimedTo:
      'Transcript (optional): captions timed to the recording; # headings become chapters',
    languageOfTheTranscript: 'Language of the transcript',
    generateAvatarLesson: 'Generate avatar lesson',
    lessonsOfThisCourse: 'Lessons of this course',
    addToCourse: 'Add to course',
    newLesson: 'New lesson',
    title: 'Title',
    portraitPhotoOfThePresenter: 'Portrait (photo of the presenter)',
    portraitPreview: 'Portrait preview',
    scenePrompt: 'Scene prompt',
    renderLesson: 'Render lesson',
    preview: 'Preview',
    descriptionForLearners: 'Description for learners',
    pointsInTheGradebook: 'Points in the gradebook',
    completedWhenWatched: 'Completed when watched (%)',
    publishToCourse: 'Publish to course',
  },
};
